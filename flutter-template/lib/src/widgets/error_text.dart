import 'package:firebase_auth/firebase_auth.dart';
import 'package:flutter/material.dart';
import 'package:graphql_flutter/graphql_flutter.dart';

/// A message a person can act on, for an error from Firebase Auth, Hasura or the network.
String describeError(Object error) {
  if (error is FirebaseAuthException) return error.message ?? error.code;
  if (error is OperationException) {
    // Hasura (and the stack's actions) answer {message, extensions: {code}}: the message is meant for people.
    if (error.graphqlErrors.isNotEmpty) return error.graphqlErrors.map((e) => e.message).join('\n');
    if (error.linkException != null) return 'Cannot reach the server. Check your connection and try again.';
  }
  return error.toString();
}

/// An error in the colours of the theme, with an optional retry.
class ErrorText extends StatelessWidget {
  const ErrorText(this.error, {super.key, this.onRetry});

  final Object error;
  final VoidCallback? onRetry;

  @override
  Widget build(BuildContext context) {
    final colors = Theme.of(context).colorScheme;
    return Padding(
      padding: const EdgeInsets.all(16),
      child: Column(
        mainAxisSize: MainAxisSize.min,
        children: [
          Text(describeError(error), style: TextStyle(color: colors.error), textAlign: TextAlign.center),
          if (onRetry != null) TextButton(onPressed: onRetry, child: const Text('Try again')),
        ],
      ),
    );
  }
}
