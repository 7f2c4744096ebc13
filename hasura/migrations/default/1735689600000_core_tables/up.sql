-- Users, organizations, memberships and the organization role/permission catalogue.

-- Keeps updated_at honest whatever client writes the row (Hasura, services, psql).
create function public.set_updated_at() returns trigger
language plpgsql as $$
begin
  new.updated_at := now();
  return new;
end;
$$;
comment on function public.set_updated_at() is 'BEFORE UPDATE trigger: sets updated_at to the transaction time.';

-- One row per Firebase user, written by the user-sync functions through Hasura.
create table public.users (
  id text primary key check (id <> ''),
  phone text,
  email text,
  display_name text,
  role text not null default 'user' check (role in ('user', 'admin')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deleted_at timestamptz
);
comment on table public.users is 'Application users; id is the Firebase uid.';
comment on column public.users.role is 'Global role, copied into the Hasura JWT claims (user | admin).';
comment on column public.users.deleted_at is 'Set when the Firebase user was deleted and the stack anonymizes instead of deleting.';
create trigger set_updated_at before update on public.users
  for each row execute function public.set_updated_at();

create table public.organizations (
  id uuid primary key default gen_random_uuid(),
  name text not null check (btrim(name) <> ''),
  created_by text references public.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index organizations_created_by_idx on public.organizations (created_by);
create trigger set_updated_at before update on public.organizations
  for each row execute function public.set_updated_at();

-- Catalogue of membership roles. Rows are part of the schema (memberships reference them),
-- so they are inserted here; seeds/default/01_role_permission_catalogue.sql keeps them current.
create table public.organization_roles (
  name text primary key,
  description text not null
);
comment on table public.organization_roles is 'Membership roles within an organization (owner | admin | member).';

create table public.permissions (
  name text primary key check (name ~ '^[a-z][a-z_]*\.[a-z][a-z_]*$'),
  description text not null
);
comment on table public.permissions is 'Named permissions a membership can hold inside its organization.';

create table public.organization_role_permissions (
  role text not null references public.organization_roles (name) on update cascade on delete cascade,
  permission text not null references public.permissions (name) on update cascade on delete cascade,
  primary key (role, permission)
);
create index organization_role_permissions_permission_idx on public.organization_role_permissions (permission);
comment on table public.organization_role_permissions is 'The permissions each organization role grants.';

insert into public.organization_roles (name, description) values
  ('owner', 'Full control of the organization, including deleting it and naming other owners.'),
  ('admin', 'Manages the organization, its members, feature flags and files.'),
  ('member', 'Reads the organization and works with its files.');

insert into public.permissions (name, description) values
  ('organization.read', 'See the organization.'),
  ('organization.update', 'Rename the organization.'),
  ('organization.delete', 'Delete the organization.'),
  ('members.read', 'See the members of the organization.'),
  ('members.manage', 'Add, change and remove members.'),
  ('flags.read', 'See the feature flags of the organization.'),
  ('flags.manage', 'Turn feature flags of the organization on and off.'),
  ('files.read', 'See and download the files of the organization.'),
  ('files.write', 'Upload files to the organization and change their details.'),
  ('files.delete', 'Delete any file of the organization.');

insert into public.organization_role_permissions (role, permission)
select 'owner', name from public.permissions
union all
select 'admin', name from public.permissions where name <> 'organization.delete'
union all
select 'member', unnest(array['organization.read', 'members.read', 'flags.read', 'files.read', 'files.write']);

create table public.memberships (
  organization_id uuid not null references public.organizations (id) on delete cascade,
  user_id text not null references public.users (id) on delete cascade,
  role text not null references public.organization_roles (name) on update cascade,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (organization_id, user_id)
);
create index memberships_user_id_idx on public.memberships (user_id);
create index memberships_role_idx on public.memberships (role);
create trigger set_updated_at before update on public.memberships
  for each row execute function public.set_updated_at();

-- Lets event and cron handlers process each Hasura delivery once, although Hasura delivers at least once.
create table public.processed_deliveries (
  delivery_id text primary key,
  kind text not null check (kind in ('event', 'cron')),
  name text not null,
  processed_at timestamptz not null default now()
);
create index processed_deliveries_processed_at_idx on public.processed_deliveries (processed_at);
comment on table public.processed_deliveries is 'Hasura event ids / scheduled event ids already handled by a microservice.';
