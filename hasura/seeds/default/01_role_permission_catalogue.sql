-- The organization role and permission catalogue, applied in every environment.
-- Idempotent: re-running updates descriptions and adds missing rows, never duplicates or removes any.
-- The first migration inserts the same rows (memberships reference them); edit both together. owner_only
-- (1735689600700) marks the permissions held through the owner role alone.

insert into public.organization_roles (name, description) values
  ('owner', 'Full control of the organization, including deleting it and naming other owners.'),
  ('admin', 'Manages the organization, its members, feature flags and files.'),
  ('member', 'Reads the organization and works with its files.')
on conflict (name) do update set description = excluded.description;

insert into public.permissions (name, description, owner_only) values
  ('organization.read', 'See the organization.', false),
  ('organization.update', 'Rename the organization.', false),
  ('organization.delete', 'Delete the organization.', true),
  ('members.read', 'See the members of the organization.', false),
  ('members.manage', 'Add, change and remove members.', false),
  ('flags.read', 'See the feature flags of the organization.', false),
  ('flags.manage', 'Turn feature flags of the organization on and off.', false),
  ('files.read', 'See and download the files of the organization.', false),
  ('files.write', 'Upload files to the organization and change their details.', false),
  ('files.delete', 'Delete any file of the organization.', false)
on conflict (name) do update set description = excluded.description, owner_only = excluded.owner_only;

insert into public.organization_role_permissions (role, permission) values
  ('owner', 'organization.read'),
  ('owner', 'organization.update'),
  ('owner', 'organization.delete'),
  ('owner', 'members.read'),
  ('owner', 'members.manage'),
  ('owner', 'flags.read'),
  ('owner', 'flags.manage'),
  ('owner', 'files.read'),
  ('owner', 'files.write'),
  ('owner', 'files.delete'),
  ('admin', 'organization.read'),
  ('admin', 'organization.update'),
  ('admin', 'members.read'),
  ('admin', 'members.manage'),
  ('admin', 'flags.read'),
  ('admin', 'flags.manage'),
  ('admin', 'files.read'),
  ('admin', 'files.write'),
  ('admin', 'files.delete'),
  ('member', 'organization.read'),
  ('member', 'members.read'),
  ('member', 'flags.read'),
  ('member', 'files.read'),
  ('member', 'files.write')
on conflict (role, permission) do nothing;
