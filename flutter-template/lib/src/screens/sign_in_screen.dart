import 'package:flutter/material.dart';

import '../auth/sign_in_methods.dart';
import '../config/stack_options.dart';
import '../widgets/error_text.dart';

/// Sign-in with the methods the stack turns on: phone (SMS code), email and password, and OAuth providers.
class SignInScreen extends StatefulWidget {
  const SignInScreen({super.key, required this.methods, required this.providers, this.notice});

  final SignInMethods methods;
  final Set<SignInProvider> providers;

  /// Why the user has to sign in again, if they were signed out by the app.
  final String? notice;

  @override
  State<SignInScreen> createState() => _SignInScreenState();
}

class _SignInScreenState extends State<SignInScreen> {
  final _phone = TextEditingController();
  final _smsCode = TextEditingController();
  final _email = TextEditingController();
  final _password = TextEditingController();

  PendingPhoneSignIn? _pendingPhone;
  bool _busy = false;
  Object? _error;

  @override
  void dispose() {
    _phone.dispose();
    _smsCode.dispose();
    _email.dispose();
    _password.dispose();
    super.dispose();
  }

  /// Runs one sign-in step, showing progress and any error. Success needs no handling: the app follows Firebase
  /// Auth and replaces this screen once a user is signed in.
  Future<void> _run(Future<void> Function() step) async {
    setState(() {
      _busy = true;
      _error = null;
    });
    try {
      await step();
    } catch (error) {
      if (mounted) setState(() => _error = error);
    } finally {
      if (mounted) setState(() => _busy = false);
    }
  }

  Future<void> _sendCode() => _run(() async {
    final pending = await widget.methods.startPhoneSignIn(_phone.text.trim());
    if (mounted) setState(() => _pendingPhone = pending.completed ? null : pending);
  });

  Future<void> _confirmCode() => _run(() => _pendingPhone!.confirm(_smsCode.text.trim()));

  @override
  Widget build(BuildContext context) {
    final providers = widget.providers;
    final oauth = [SignInProvider.google, SignInProvider.facebook, SignInProvider.apple].where(providers.contains);
    return Scaffold(
      appBar: AppBar(title: const Text('Sign in')),
      body: Center(
        child: ConstrainedBox(
          constraints: const BoxConstraints(maxWidth: 420),
          child: ListView(
            padding: const EdgeInsets.all(24),
            shrinkWrap: true,
            children: [
              if (widget.notice != null)
                Card(child: Padding(padding: const EdgeInsets.all(16), child: Text(widget.notice!))),
              if (providers.isEmpty) const Text('This stack has no sign-in method turned on (pulsura:auth).'),
              if (providers.contains(SignInProvider.phone)) ..._phoneSection(),
              if (providers.contains(SignInProvider.email)) ..._emailSection(),
              for (final provider in oauth)
                Padding(
                  padding: const EdgeInsets.only(top: 12),
                  child: OutlinedButton(
                    onPressed: _busy ? null : () => _run(() => widget.methods.signInWithOAuth(provider)),
                    child: Text('Continue with ${_label(provider)}'),
                  ),
                ),
              if (_busy) const Padding(padding: EdgeInsets.only(top: 16), child: LinearProgressIndicator()),
              if (_error != null) ErrorText(_error!),
            ],
          ),
        ),
      ),
    );
  }

  List<Widget> _phoneSection() {
    final pending = _pendingPhone;
    return [
      TextField(
        key: const Key('phone-number'),
        controller: _phone,
        enabled: pending == null,
        keyboardType: TextInputType.phone,
        autofillHints: const [AutofillHints.telephoneNumber],
        decoration: const InputDecoration(labelText: 'Phone number', hintText: '+15555550100'),
      ),
      if (pending == null)
        Padding(
          padding: const EdgeInsets.only(top: 8),
          child: FilledButton(onPressed: _busy ? null : _sendCode, child: const Text('Send code')),
        )
      else ...[
        TextField(
          key: const Key('sms-code'),
          controller: _smsCode,
          keyboardType: TextInputType.number,
          autofillHints: const [AutofillHints.oneTimeCode],
          decoration: const InputDecoration(labelText: 'Code from the SMS'),
        ),
        Padding(
          padding: const EdgeInsets.only(top: 8),
          child: FilledButton(onPressed: _busy ? null : _confirmCode, child: const Text('Verify')),
        ),
      ],
      const SizedBox(height: 24),
    ];
  }

  List<Widget> _emailSection() {
    return [
      TextField(
        key: const Key('email'),
        controller: _email,
        keyboardType: TextInputType.emailAddress,
        autofillHints: const [AutofillHints.email],
        decoration: const InputDecoration(labelText: 'Email'),
      ),
      TextField(
        key: const Key('password'),
        controller: _password,
        obscureText: true,
        autofillHints: const [AutofillHints.password],
        decoration: const InputDecoration(labelText: 'Password'),
      ),
      Padding(
        padding: const EdgeInsets.only(top: 8),
        child: Row(
          children: [
            Expanded(
              child: FilledButton(
                onPressed: _busy
                    ? null
                    : () => _run(() => widget.methods.signInWithEmail(_email.text.trim(), _password.text)),
                child: const Text('Sign in'),
              ),
            ),
            const SizedBox(width: 8),
            Expanded(
              child: OutlinedButton(
                onPressed: _busy
                    ? null
                    : () => _run(() => widget.methods.createAccountWithEmail(_email.text.trim(), _password.text)),
                child: const Text('Create account'),
              ),
            ),
          ],
        ),
      ),
      const SizedBox(height: 24),
    ];
  }

  static String _label(SignInProvider provider) => switch (provider) {
    SignInProvider.google => 'Google',
    SignInProvider.facebook => 'Facebook',
    SignInProvider.apple => 'Apple',
    SignInProvider.phone => 'phone',
    SignInProvider.email => 'email',
  };
}
