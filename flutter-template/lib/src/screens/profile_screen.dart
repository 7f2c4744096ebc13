import 'package:flutter/material.dart';
import 'package:graphql_flutter/graphql_flutter.dart';

import '../auth/session.dart';
import '../graphql/documents.dart';
import '../widgets/error_text.dart';
import '../widgets/live_query.dart';

/// The user's own `users` row, live, with the display name editable.
class ProfileScreen extends StatelessWidget {
  const ProfileScreen({super.key, required this.session});

  final Session session;

  @override
  Widget build(BuildContext context) {
    final userId = session.user!.uid;
    return LiveQuery(
      document: myProfileSubscription,
      variables: {'id': userId},
      builder: (context, data) {
        final me = data['users_by_pk'];
        if (me is! Map<String, dynamic>) {
          // The user-sync function creates the row right after the first sign-in.
          return const Center(child: Text('Your profile is being created…'));
        }
        return _ProfileForm(
          userId: userId,
          displayName: me['display_name'] as String?,
          details: [
            ('Phone', me['phone'] as String?),
            ('Email', me['email'] as String?),
            ('Role', me['role'] as String?),
          ],
        );
      },
    );
  }
}

class _ProfileForm extends StatefulWidget {
  const _ProfileForm({required this.userId, required this.displayName, required this.details});

  final String userId;
  final String? displayName;
  final List<(String, String?)> details;

  @override
  State<_ProfileForm> createState() => _ProfileFormState();
}

class _ProfileFormState extends State<_ProfileForm> {
  late final _displayName = TextEditingController(text: widget.displayName ?? '');
  bool _saving = false;

  @override
  void didUpdateWidget(_ProfileForm oldWidget) {
    super.didUpdateWidget(oldWidget);
    // A change from elsewhere (another device) replaces the field unless the user is editing it.
    if (widget.displayName != oldWidget.displayName && _displayName.text == (oldWidget.displayName ?? '')) {
      _displayName.text = widget.displayName ?? '';
    }
  }

  @override
  void dispose() {
    _displayName.dispose();
    super.dispose();
  }

  Future<void> _save() async {
    final messenger = ScaffoldMessenger.of(context);
    final client = GraphQLProvider.of(context).value;
    final name = _displayName.text.trim();
    setState(() => _saving = true);
    final result = await client.mutate(
      MutationOptions<Object?>(
        document: gql(updateDisplayNameMutation),
        variables: {'id': widget.userId, 'displayName': name.isEmpty ? null : name},
      ),
    );
    if (!mounted) return;
    setState(() => _saving = false);
    final exception = result.exception;
    messenger.showSnackBar(SnackBar(content: Text(exception == null ? 'Saved' : describeError(exception))));
  }

  @override
  Widget build(BuildContext context) {
    return ListView(
      padding: const EdgeInsets.all(24),
      children: [
        TextField(
          key: const Key('display-name'),
          controller: _displayName,
          enabled: !_saving,
          decoration: const InputDecoration(labelText: 'Display name'),
          onSubmitted: (_) => _save(),
        ),
        Align(
          alignment: Alignment.centerRight,
          child: Padding(
            padding: const EdgeInsets.only(top: 8),
            child: FilledButton(onPressed: _saving ? null : _save, child: const Text('Save')),
          ),
        ),
        const SizedBox(height: 24),
        for (final (label, value) in widget.details)
          ListTile(title: Text(label), subtitle: Text(value ?? '—')),
      ],
    );
  }
}
