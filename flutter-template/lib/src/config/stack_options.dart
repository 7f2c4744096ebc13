import 'package:firebase_core/firebase_core.dart';

/// Sign-in methods a stack can turn on in Firebase Auth (`pulsura:auth` in its stack file).
///
/// The names match what `npm run flutter:configure` writes; keep them in step with `SIGN_IN_PROVIDERS` in
/// `scripts/lib/web/providers.ts`.
enum SignInProvider { phone, email, google, facebook, apple }

/// Everything the app needs to know about the stack it talks to.
///
/// `lib/pulsura_options.dart` holds the value for one stack; `npm run flutter:configure -- --stack <name>` writes it
/// from the stack's outputs.
class StackOptions {
  const StackOptions({
    required this.stack,
    required this.firebase,
    required this.hasuraGraphqlUrl,
    required this.hasuraWebsocketUrl,
    required this.signInProviders,
    this.authEmulatorHost,
  });

  /// Name of the Pulumi stack, shown in debug builds.
  final String stack;

  /// The stack's Firebase web app. Android and iOS use their own registration files instead (see README).
  final FirebaseOptions firebase;

  /// Hasura's GraphQL endpoint over HTTPS: queries and mutations.
  final String hasuraGraphqlUrl;

  /// The same endpoint over a secure WebSocket: subscriptions.
  final String hasuraWebsocketUrl;

  /// The sign-in methods the sign-in screen offers.
  final Set<SignInProvider> signInProviders;

  /// `host:port` of the Firebase Auth emulator when the app talks to the local stack of `npm run dev`
  /// (`npm run flutter:configure -- --local`); null for a deployed stack.
  final String? authEmulatorHost;
}
