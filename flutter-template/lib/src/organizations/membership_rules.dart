/// Who may do what with an organization's members, mirroring the stack's Hasura permissions
/// (hasura/metadata/databases/default/tables/public_memberships.yaml) so the app only offers what the server allows.
library;

import '../auth/claims.dart';

/// The organization roles of the role catalogue (`organization_roles`), most powerful first.
const organizationRoles = ['owner', 'admin', 'member'];

/// One member of an organization.
class Membership {
  const Membership({required this.userId, required this.role});

  /// Reads a `memberships` row as Hasura returns it.
  factory Membership.fromJson(Map<String, dynamic> json) =>
      Membership(userId: json['user_id'] as String, role: json['role'] as String);

  final String userId;
  final String role;
}

/// What the signed-in user may do with the members of one organization.
class MembershipRules {
  const MembershipRules({required this.canManage, required this.isOwner});

  /// Rules from the user's effective permissions in the organization, their own membership and their global role.
  ///
  /// `members.manage` comes with the owner and admin roles (or a grant). Operators (global role `operator`) manage
  /// every organization: they act through the `operator` Hasura role's own permissions (each conditioned on their
  /// users row still saying `operator`), not through Hasura's built-in admin role, which belongs to the stack's admin
  /// secret and is never a user's. A token that says `admin` gets nothing special here.
  factory MembershipRules.of({
    required Iterable<String> permissions,
    required List<Membership> members,
    required String userId,
    required String? globalRole,
  }) {
    if (globalRole == operatorRole) return const MembershipRules(canManage: true, isOwner: true);
    final own = members.where((m) => m.userId == userId);
    return MembershipRules(
      canManage: permissions.contains('members.manage'),
      isOwner: own.isNotEmpty && own.first.role == 'owner',
    );
  }

  /// May add members and change or remove (some of) them.
  final bool canManage;

  /// Owners alone may hand out the owner role and change or remove owners, so nobody else can lock them out.
  final bool isOwner;

  /// Roles this user may give.
  List<String> get assignableRoles =>
      isOwner ? organizationRoles : organizationRoles.where((r) => r != 'owner').toList();

  /// Whether this user may change the role of, or remove, [member].
  bool canEdit(Membership member) => canManage && (isOwner || member.role != 'owner');
}
