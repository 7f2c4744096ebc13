-- Per-membership exceptions to the role's permissions, and the resulting effective permissions.

create table public.membership_permission_patches (
  organization_id uuid not null,
  user_id text not null,
  permission text not null references public.permissions (name) on update cascade on delete cascade,
  effect text not null check (effect in ('grant', 'revoke')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (organization_id, user_id, permission),
  foreign key (organization_id, user_id) references public.memberships (organization_id, user_id) on delete cascade
);
create index membership_permission_patches_permission_idx on public.membership_permission_patches (permission);
comment on table public.membership_permission_patches is
  'Grants or revokes one named permission for one membership, on top of the permissions of its role.';
create trigger set_updated_at before update on public.membership_permission_patches
  for each row execute function public.set_updated_at();

-- Role permissions minus revokes, plus grants. A view (not a function) so Hasura can track it,
-- join it in permission rules and expose it read-only.
create view public.membership_effective_permissions as
select m.organization_id, m.user_id, rp.permission
from public.memberships m
join public.organization_role_permissions rp on rp.role = m.role
where not exists (
  select 1
  from public.membership_permission_patches p
  where p.organization_id = m.organization_id
    and p.user_id = m.user_id
    and p.permission = rp.permission
    and p.effect = 'revoke'
)
union
select p.organization_id, p.user_id, p.permission
from public.membership_permission_patches p
where p.effect = 'grant';
comment on view public.membership_effective_permissions is
  'Effective permissions of each membership: its role''s permissions, minus revoke patches, plus grant patches.';

-- For SQL callers (services, checks): does this user hold this permission in this organization?
create function public.has_organization_permission(p_organization_id uuid, p_user_id text, p_permission text)
returns boolean
language sql stable as $$
  select exists (
    select 1
    from public.membership_effective_permissions e
    where e.organization_id = p_organization_id
      and e.user_id = p_user_id
      and e.permission = p_permission
  );
$$;
comment on function public.has_organization_permission(uuid, text, text) is
  'True when the membership of the user in the organization effectively holds the named permission.';
