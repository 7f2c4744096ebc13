-- DEMO DATA ONLY. The deploy applies this file only where the stack config enables demo data
-- (never in prod). Careful: a bare `hasura seed apply` applies every seed file; outside demo environments
-- run `hasura seed apply --database-name default --file 01_role_permission_catalogue.sql`.
-- Idempotent: fixed keys and "on conflict do nothing".
-- The demo users have no Firebase accounts; sign-in creates real users with Firebase uids.

insert into public.users (id, email, display_name, role) values
  ('demo-owner', 'owner@demo.pulsura.invalid', 'Olivia Owner', 'user'),
  ('demo-admin', 'admin@demo.pulsura.invalid', 'Adam Admin', 'user'),
  ('demo-member', 'member@demo.pulsura.invalid', 'Mia Member', 'user'),
  ('demo-operator', 'operator@demo.pulsura.invalid', 'Oscar Operator', 'operator')
on conflict (id) do nothing;

insert into public.organizations (id, name, created_by) values
  ('00000000-0000-4000-8000-00000000d001', 'Demo Company', 'demo-owner')
on conflict (id) do nothing;

insert into public.memberships (organization_id, user_id, role) values
  ('00000000-0000-4000-8000-00000000d001', 'demo-owner', 'owner'),
  ('00000000-0000-4000-8000-00000000d001', 'demo-admin', 'admin'),
  ('00000000-0000-4000-8000-00000000d001', 'demo-member', 'member')
on conflict (organization_id, user_id) do nothing;

-- The member may also manage flags; the admin may not delete files.
insert into public.membership_permission_patches (organization_id, user_id, permission, effect) values
  ('00000000-0000-4000-8000-00000000d001', 'demo-member', 'flags.manage', 'grant'),
  ('00000000-0000-4000-8000-00000000d001', 'demo-admin', 'files.delete', 'revoke')
on conflict (organization_id, user_id, permission) do nothing;

insert into public.organization_feature_flags (organization_id, key, enabled, updated_by) values
  ('00000000-0000-4000-8000-00000000d001', 'beta.dashboard', true, 'demo-owner'),
  ('00000000-0000-4000-8000-00000000d001', 'exports', false, 'demo-owner')
on conflict (organization_id, key) do nothing;

-- The object path is derived by the database (organizations/<organization id>/<file id>).
insert into public.files (id, owner_id, organization_id, name, content_type, size_bytes) values
  ('00000000-0000-4000-8000-00000000f001', 'demo-member', '00000000-0000-4000-8000-00000000d001',
   'welcome.pdf', 'application/pdf', 48213)
on conflict (id) do nothing;
