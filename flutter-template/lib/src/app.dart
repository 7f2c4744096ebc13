import 'package:flutter/material.dart';
import 'package:graphql_flutter/graphql_flutter.dart';

import 'auth/session.dart';
import 'auth/sign_in_methods.dart';
import 'config/stack_options.dart';
import 'screens/home_screen.dart';
import 'screens/sign_in_screen.dart';

/// The app: the sign-in screen until someone is signed in, then the signed-in area talking to Hasura.
class PulsuraApp extends StatelessWidget {
  const PulsuraApp({super.key, required this.session, required this.signInMethods, required this.options});

  final Session session;
  final SignInMethods signInMethods;
  final StackOptions options;

  @override
  Widget build(BuildContext context) {
    return ListenableBuilder(
      listenable: session,
      builder: (context, _) {
        final user = session.user;
        final client = session.client;
        return MaterialApp(
          // A new navigator for every user: signing out leaves no screen of the previous user behind.
          key: ValueKey(user?.uid),
          title: 'Pulsura',
          theme: ThemeData(colorScheme: ColorScheme.fromSeed(seedColor: Colors.indigo)),
          // Above the navigator, so every route reaches the GraphQL client.
          builder: (context, child) => client == null ? child! : GraphQLProvider(client: client, child: child!),
          home: user == null || client == null
              ? SignInScreen(methods: signInMethods, providers: options.signInProviders, notice: session.notice)
              : HomeScreen(session: session, stack: options.stack),
        );
      },
    );
  }
}
