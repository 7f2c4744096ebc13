import 'package:flutter/material.dart';
import 'package:graphql_flutter/graphql_flutter.dart';

import '../auth/session.dart';
import '../graphql/documents.dart';
import '../widgets/error_text.dart';
import '../widgets/live_query.dart';
import 'members_screen.dart';

/// The organizations the user belongs to (live), and creating one through the `createOrganization` action.
class OrganizationsScreen extends StatelessWidget {
  const OrganizationsScreen({super.key, required this.session});

  final Session session;

  @override
  Widget build(BuildContext context) {
    return Scaffold(
      body: LiveQuery(
        document: myOrganizationsSubscription,
        builder: (context, data) {
          final organizations = (data['organizations'] as List<dynamic>).cast<Map<String, dynamic>>();
          if (organizations.isEmpty) {
            return const Center(child: Text('You are not a member of any organization yet.'));
          }
          return ListView(
            children: [
              for (final organization in organizations)
                ListTile(
                  leading: const Icon(Icons.apartment),
                  title: Text(organization['name'] as String),
                  trailing: const Icon(Icons.chevron_right),
                  onTap: () => _openMembers(context, organization['id'] as String, organization['name'] as String),
                ),
            ],
          );
        },
      ),
      floatingActionButton: FloatingActionButton.extended(
        onPressed: () => _create(context),
        icon: const Icon(Icons.add),
        label: const Text('New organization'),
      ),
    );
  }

  Future<void> _openMembers(BuildContext context, String id, String name) => Navigator.of(context).push(
    MaterialPageRoute<void>(
      builder: (context) => MembersScreen(session: session, organizationId: id, organizationName: name),
    ),
  );

  Future<void> _create(BuildContext context) async {
    final client = GraphQLProvider.of(context).value;
    final created = await showDialog<(String, String)>(
      context: context,
      builder: (context) => _CreateOrganizationDialog(client: client),
    );
    if (created != null && context.mounted) await _openMembers(context, created.$1, created.$2);
  }
}

/// Asks for a name and runs `createOrganization`; pops with (id, name) once it succeeded.
class _CreateOrganizationDialog extends StatefulWidget {
  const _CreateOrganizationDialog({required this.client});

  final GraphQLClient client;

  @override
  State<_CreateOrganizationDialog> createState() => _CreateOrganizationDialogState();
}

class _CreateOrganizationDialogState extends State<_CreateOrganizationDialog> {
  final _name = TextEditingController();
  bool _busy = false;
  Object? _error;

  @override
  void dispose() {
    _name.dispose();
    super.dispose();
  }

  Future<void> _submit() async {
    final name = _name.text.trim();
    if (name.isEmpty) return;
    setState(() {
      _busy = true;
      _error = null;
    });
    final result = await widget.client.mutate(
      MutationOptions<Object?>(document: gql(createOrganizationMutation), variables: {'name': name}),
    );
    if (!mounted) return;
    final created = result.data?['createOrganization'];
    if (result.hasException || created is! Map<String, dynamic>) {
      setState(() {
        _busy = false;
        _error = result.exception ?? 'The server did not return the new organization.';
      });
      return;
    }
    Navigator.pop(context, (created['id'] as String, name));
  }

  @override
  Widget build(BuildContext context) {
    return AlertDialog(
      title: const Text('New organization'),
      content: Column(
        mainAxisSize: MainAxisSize.min,
        children: [
          TextField(
            key: const Key('organization-name'),
            controller: _name,
            autofocus: true,
            enabled: !_busy,
            decoration: const InputDecoration(labelText: 'Name'),
            onSubmitted: (_) => _submit(),
          ),
          if (_error != null) ErrorText(_error!),
        ],
      ),
      actions: [
        TextButton(onPressed: _busy ? null : () => Navigator.pop(context), child: const Text('Cancel')),
        FilledButton(onPressed: _busy ? null : _submit, child: const Text('Create')),
      ],
    );
  }
}
