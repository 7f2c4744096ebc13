-- Per-organization feature flags and file records (the bytes live in object storage).

create table public.organization_feature_flags (
  organization_id uuid not null references public.organizations (id) on delete cascade,
  key text not null check (key ~ '^[a-z][a-z0-9_.-]{0,62}$'),
  enabled boolean not null default false,
  updated_by text references public.users (id) on delete set null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (organization_id, key)
);
create index organization_feature_flags_updated_by_idx on public.organization_feature_flags (updated_by);
create trigger set_updated_at before update on public.organization_feature_flags
  for each row execute function public.set_updated_at();

create table public.files (
  id uuid primary key default gen_random_uuid(),
  owner_id text references public.users (id) on delete set null,
  -- null for a personal file of its owner
  organization_id uuid references public.organizations (id) on delete cascade,
  object_path text not null unique check (object_path <> '' and object_path !~ '^/'),
  content_type text not null check (content_type ~ '^[a-z0-9.+-]+/[A-Za-z0-9.+-]+'),
  size_bytes bigint not null check (size_bytes >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
comment on column public.files.object_path is 'Path of the object in the storage bucket, relative to the bucket root.';
create index files_owner_id_idx on public.files (owner_id);
create index files_organization_id_idx on public.files (organization_id);
create trigger set_updated_at before update on public.files
  for each row execute function public.set_updated_at();
