import 'package:flutter/material.dart';
import 'package:graphql_flutter/graphql_flutter.dart';

import '../auth/session.dart';
import '../graphql/documents.dart';
import '../organizations/membership_rules.dart';
import '../widgets/error_text.dart';
import '../widgets/live_query.dart';

/// The members of one organization, updating live; owners and admins also manage them.
class MembersScreen extends StatelessWidget {
  const MembersScreen({super.key, required this.session, required this.organizationId, required this.organizationName});

  final Session session;
  final String organizationId;
  final String organizationName;

  @override
  Widget build(BuildContext context) {
    final userId = session.user!.uid;
    return Scaffold(
      appBar: AppBar(title: Text(organizationName)),
      body: LiveQuery(
        document: organizationMembersSubscription,
        variables: {'organizationId': organizationId, 'userId': userId},
        builder: (context, data) {
          final organization = data['organizations_by_pk'];
          if (organization is! Map<String, dynamic>) {
            return const Center(child: Text('This organization no longer exists, or you are no longer a member.'));
          }
          final members = (organization['memberships'] as List<dynamic>)
              .map((row) => Membership.fromJson(row as Map<String, dynamic>))
              .toList();
          final permissions = (organization['effective_permissions'] as List<dynamic>)
              .map((row) => (row as Map<String, dynamic>)['permission'] as String);
          final rules = MembershipRules.of(
            permissions: permissions,
            members: members,
            userId: userId,
            globalRole: session.role,
          );
          return MembersView(
            members: members,
            currentUserId: userId,
            rules: rules,
            onAdd: (memberId, role) => _mutate(context, addMemberMutation, {'userId': memberId, 'role': role}),
            onChangeRole: (member, role) =>
                _mutate(context, changeMemberRoleMutation, {'userId': member.userId, 'role': role}),
            onRemove: (member) => _mutate(context, removeMemberMutation, {'userId': member.userId}),
          );
        },
      ),
    );
  }

  /// Runs a membership mutation; the live query shows its effect, so only failures need telling.
  Future<void> _mutate(BuildContext context, String document, Map<String, dynamic> variables) async {
    final messenger = ScaffoldMessenger.of(context);
    final result = await GraphQLProvider.of(context).value.mutate(
      MutationOptions<Object?>(document: gql(document), variables: {'organizationId': organizationId, ...variables}),
    );
    final exception = result.exception;
    if (exception != null) messenger.showSnackBar(SnackBar(content: Text(describeError(exception))));
  }
}

/// The member list itself: rows, and management controls only where [rules] allow them.
class MembersView extends StatelessWidget {
  const MembersView({
    super.key,
    required this.members,
    required this.currentUserId,
    required this.rules,
    required this.onAdd,
    required this.onChangeRole,
    required this.onRemove,
  });

  final List<Membership> members;
  final String currentUserId;
  final MembershipRules rules;
  final Future<void> Function(String userId, String role) onAdd;
  final Future<void> Function(Membership member, String role) onChangeRole;
  final Future<void> Function(Membership member) onRemove;

  @override
  Widget build(BuildContext context) {
    return Scaffold(
      body: ListView(
        children: [
          for (final member in members)
            ListTile(
              key: ValueKey(member.userId),
              leading: const Icon(Icons.person_outline),
              // Users may read only their own users row, so members appear by their user id.
              title: Text(member.userId == currentUserId ? '${member.userId} (you)' : member.userId),
              subtitle: Text(member.role),
              trailing: rules.canEdit(member) ? _memberMenu(member) : null,
            ),
        ],
      ),
      floatingActionButton: rules.canManage
          ? FloatingActionButton.extended(
              onPressed: () => _addMember(context),
              icon: const Icon(Icons.person_add_alt),
              label: const Text('Add member'),
            )
          : null,
    );
  }

  Widget _memberMenu(Membership member) {
    return PopupMenuButton<String>(
      key: ValueKey('manage-${member.userId}'),
      tooltip: 'Manage member',
      onSelected: (choice) => choice == _remove ? onRemove(member) : onChangeRole(member, choice),
      itemBuilder: (context) => [
        for (final role in rules.assignableRoles.where((r) => r != member.role))
          PopupMenuItem(value: role, child: Text('Make $role')),
        const PopupMenuItem(value: _remove, child: Text('Remove')),
      ],
    );
  }

  /// Not a role name: the menu value for removal.
  static const _remove = '\u0000remove';

  Future<void> _addMember(BuildContext context) async {
    final added = await showDialog<(String, String)>(
      context: context,
      builder: (context) => _AddMemberDialog(roles: rules.assignableRoles),
    );
    if (added != null) await onAdd(added.$1, added.$2);
  }
}

class _AddMemberDialog extends StatefulWidget {
  const _AddMemberDialog({required this.roles});

  final List<String> roles;

  @override
  State<_AddMemberDialog> createState() => _AddMemberDialogState();
}

class _AddMemberDialogState extends State<_AddMemberDialog> {
  final _userId = TextEditingController();
  late String _role = widget.roles.last;

  @override
  void dispose() {
    _userId.dispose();
    super.dispose();
  }

  @override
  Widget build(BuildContext context) {
    return AlertDialog(
      title: const Text('Add member'),
      content: Column(
        mainAxisSize: MainAxisSize.min,
        children: [
          TextField(
            key: const Key('member-user-id'),
            controller: _userId,
            autofocus: true,
            decoration: const InputDecoration(labelText: 'User id'),
          ),
          DropdownButton<String>(
            value: _role,
            isExpanded: true,
            items: [for (final role in widget.roles) DropdownMenuItem(value: role, child: Text(role))],
            onChanged: (role) => setState(() => _role = role ?? _role),
          ),
        ],
      ),
      actions: [
        TextButton(onPressed: () => Navigator.pop(context), child: const Text('Cancel')),
        FilledButton(
          onPressed: () {
            final userId = _userId.text.trim();
            if (userId.isNotEmpty) Navigator.pop(context, (userId, _role));
          },
          child: const Text('Add'),
        ),
      ],
    );
  }
}
