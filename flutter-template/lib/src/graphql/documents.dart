/// The GraphQL operations of the app, against the stack's Hasura schema (hasura/metadata) and its actions
/// (hasura/metadata/actions.graphql).
library;

/// The signed-in user's own row; users may read only their own (role included, since it drives their claims).
const myProfileSubscription = r'''
subscription MyProfile($id: String!) {
  users_by_pk(id: $id) {
    id
    display_name
    email
    phone
    role
  }
}
''';

/// Users may change their display name; phone and email come from Firebase Auth.
const updateDisplayNameMutation = r'''
mutation UpdateDisplayName($id: String!, $displayName: String) {
  update_users_by_pk(pk_columns: {id: $id}, _set: {display_name: $displayName}) {
    id
    display_name
  }
}
''';

/// The user's profile picture: the newest of their personal files named [profilePictureName]. Users read a file once
/// its upload is confirmed, and operators read every file, so the filters keep out organization files, other people's
/// and unconfirmed ones.
const myProfilePictureQuery = r'''
query MyProfilePicture($userId: String!, $name: String!) {
  files(
    where: {owner_id: {_eq: $userId}, organization_id: {_is_null: true}, name: {_eq: $name}, status: {_eq: "uploaded"}}
    order_by: {created_at: desc}
    limit: 1
  ) {
    id
    content_type
    uploaded_at
  }
}
''';

/// The name of the personal file that holds the profile picture (`users` has no column for it).
const profilePictureName = 'profile-picture';

/// The `createUploadUrl` action: a pending file in the caller's personal scope (or an organization's), and a signed
/// URL to PUT exactly `size` bytes of `contentType` to.
const createUploadUrlMutation = r'''
mutation CreateUploadUrl($name: String!, $contentType: String!, $size: Int!, $organizationId: uuid) {
  createUploadUrl(name: $name, contentType: $contentType, size: $size, organizationId: $organizationId) {
    fileId
    uploadUrl
    expiresAt
  }
}
''';

/// The `createDownloadUrl` action: a signed URL to GET an uploaded file; "file not found" until the service has
/// confirmed the upload.
const createDownloadUrlMutation = r'''
mutation CreateDownloadUrl($fileId: uuid!) {
  createDownloadUrl(fileId: $fileId) {
    downloadUrl
    expiresAt
  }
}
''';

/// Organizations the user belongs to, live: one created elsewhere, or a membership granted, shows up at once.
const myOrganizationsSubscription = r'''
subscription MyOrganizations {
  organizations(order_by: {name: asc}) {
    id
    name
  }
}
''';

/// The `createOrganization` action: the organization and the caller's owner membership, in one transaction.
const createOrganizationMutation = r'''
mutation CreateOrganization($name: String!) {
  createOrganization(name: $name) {
    id
  }
}
''';

/// An organization's members, live, with the caller's effective permissions in it (Hasura allows one root field
/// per subscription, hence the nesting).
const organizationMembersSubscription = r'''
subscription OrganizationMembers($organizationId: uuid!, $userId: String!) {
  organizations_by_pk(id: $organizationId) {
    id
    name
    memberships(order_by: {created_at: asc}) {
      user_id
      role
    }
    effective_permissions(where: {user_id: {_eq: $userId}}) {
      permission
    }
  }
}
''';

const addMemberMutation = r'''
mutation AddMember($organizationId: uuid!, $userId: String!, $role: String!) {
  insert_memberships_one(object: {organization_id: $organizationId, user_id: $userId, role: $role}) {
    organization_id
    user_id
    role
  }
}
''';

const changeMemberRoleMutation = r'''
mutation ChangeMemberRole($organizationId: uuid!, $userId: String!, $role: String!) {
  update_memberships_by_pk(pk_columns: {organization_id: $organizationId, user_id: $userId}, _set: {role: $role}) {
    organization_id
    user_id
    role
  }
}
''';

const removeMemberMutation = r'''
mutation RemoveMember($organizationId: uuid!, $userId: String!) {
  delete_memberships_by_pk(organization_id: $organizationId, user_id: $userId) {
    user_id
  }
}
''';
