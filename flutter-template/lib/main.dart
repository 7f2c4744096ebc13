import 'package:firebase_auth/firebase_auth.dart';
import 'package:firebase_core/firebase_core.dart';
import 'package:flutter/foundation.dart';
import 'package:flutter/material.dart';

import 'pulsura_options.dart';
import 'src/app.dart';
import 'src/auth/session.dart';
import 'src/auth/sign_in_methods.dart';

Future<void> main() async {
  WidgetsFlutterBinding.ensureInitialized();
  // The web build uses the stack's Firebase web app (lib/pulsura_options.dart, from `npm run flutter:configure`);
  // Android and iOS read their own registration (google-services.json, GoogleService-Info.plist).
  await Firebase.initializeApp(options: kIsWeb ? pulsuraOptions.firebase : null);
  final auth = FirebaseAuth.instance;
  // The local stack (`npm run dev`): sign-in goes to the Auth emulator, whose tokens the local Hasura's webhook reads.
  final emulator = pulsuraOptions.authEmulatorHost;
  if (emulator != null) {
    final separator = emulator.lastIndexOf(':');
    await auth.useAuthEmulator(emulator.substring(0, separator), int.parse(emulator.substring(separator + 1)));
  }
  final session = Session(auth: auth, options: pulsuraOptions)..start();
  runApp(PulsuraApp(session: session, signInMethods: FirebaseSignInMethods(auth), options: pulsuraOptions));
}
