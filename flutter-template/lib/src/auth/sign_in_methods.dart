import 'dart:async';

import 'package:firebase_auth/firebase_auth.dart';
import 'package:flutter/foundation.dart';

import '../config/stack_options.dart';

/// A phone number awaiting the code Firebase sent by SMS.
abstract interface class PendingPhoneSignIn {
  /// True when the device verified the SMS by itself (Android) and the user is already signed in.
  bool get completed;

  /// Signs in with the code from the SMS.
  Future<void> confirm(String smsCode);
}

/// The sign-in actions the sign-in screen offers. Firebase Auth implements them in the app; tests use a fake.
abstract interface class SignInMethods {
  /// Sends a code by SMS to [phoneNumber] (E.164, such as +15555550100).
  Future<PendingPhoneSignIn> startPhoneSignIn(String phoneNumber);

  Future<void> signInWithEmail(String email, String password);

  Future<void> createAccountWithEmail(String email, String password);

  /// Signs in with an OAuth provider ([SignInProvider.google], [SignInProvider.facebook], [SignInProvider.apple]).
  Future<void> signInWithOAuth(SignInProvider provider);
}

/// [SignInMethods] with Firebase Auth.
class FirebaseSignInMethods implements SignInMethods {
  FirebaseSignInMethods(this._auth);

  final FirebaseAuth _auth;

  @override
  Future<PendingPhoneSignIn> startPhoneSignIn(String phoneNumber) async {
    if (kIsWeb) {
      // The web SDK runs reCAPTCHA first (a widget Firebase adds to the page), then sends the SMS.
      final confirmation = await _auth.signInWithPhoneNumber(phoneNumber);
      return _PendingWebPhoneSignIn(confirmation);
    }
    final pending = Completer<PendingPhoneSignIn>();
    await _auth.verifyPhoneNumber(
      phoneNumber: phoneNumber,
      verificationCompleted: (credential) async {
        // Android can read the SMS itself: sign in right away.
        await _auth.signInWithCredential(credential);
        if (!pending.isCompleted) pending.complete(const _CompletedPhoneSignIn());
      },
      verificationFailed: (error) {
        if (!pending.isCompleted) pending.completeError(error);
      },
      codeSent: (verificationId, resendToken) {
        if (!pending.isCompleted) pending.complete(_PendingNativePhoneSignIn(_auth, verificationId));
      },
      codeAutoRetrievalTimeout: (verificationId) {},
    );
    return pending.future;
  }

  @override
  Future<void> signInWithEmail(String email, String password) =>
      _auth.signInWithEmailAndPassword(email: email, password: password);

  @override
  Future<void> createAccountWithEmail(String email, String password) =>
      _auth.createUserWithEmailAndPassword(email: email, password: password);

  @override
  Future<void> signInWithOAuth(SignInProvider provider) async {
    final AuthProvider authProvider = switch (provider) {
      SignInProvider.google => GoogleAuthProvider(),
      SignInProvider.facebook => FacebookAuthProvider(),
      SignInProvider.apple => AppleAuthProvider(),
      SignInProvider.phone ||
      SignInProvider.email => throw ArgumentError.value(provider, 'provider', 'not an OAuth provider'),
    };
    // The web opens a popup on the stack's authDomain; Android and iOS open the provider's page in a browser tab.
    if (kIsWeb) {
      await _auth.signInWithPopup(authProvider);
    } else {
      await _auth.signInWithProvider(authProvider);
    }
  }
}

class _PendingWebPhoneSignIn implements PendingPhoneSignIn {
  _PendingWebPhoneSignIn(this._confirmation);

  final ConfirmationResult _confirmation;

  @override
  bool get completed => false;

  @override
  Future<void> confirm(String smsCode) => _confirmation.confirm(smsCode);
}

class _PendingNativePhoneSignIn implements PendingPhoneSignIn {
  _PendingNativePhoneSignIn(this._auth, this._verificationId);

  final FirebaseAuth _auth;
  final String _verificationId;

  @override
  bool get completed => false;

  @override
  Future<void> confirm(String smsCode) =>
      _auth.signInWithCredential(PhoneAuthProvider.credential(verificationId: _verificationId, smsCode: smsCode));
}

class _CompletedPhoneSignIn implements PendingPhoneSignIn {
  const _CompletedPhoneSignIn();

  @override
  bool get completed => true;

  @override
  Future<void> confirm(String smsCode) async {}
}
