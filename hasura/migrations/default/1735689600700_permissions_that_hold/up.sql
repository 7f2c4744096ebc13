-- Permissions that hold under attack. What Hasura's permission rules (hasura/metadata) rely on is enforced here, in the
-- database, where every writer (Hasura, services, psql) meets it:
--   * effective permissions are a table kept by triggers, so every permission rule is an index lookup;
--   * owners hold every permission of their role, whatever patches say, and an organization always keeps an owner;
--   * owner-only permissions (organization.delete) are never handed out by a patch;
--   * file object paths are derived from the file's scope and id, never taken from the client;
--   * caps on text lengths and on the rows one user can create.
-- Checks added to tables that may already hold rows are NOT VALID: existing rows are kept as they are, every new or
-- updated row is checked.

-- Owner-only permissions: the organization-critical ones, held through the owner role alone.
alter table public.permissions add column owner_only boolean not null default false;
comment on column public.permissions.owner_only is
  'Held through the owner role alone: never granted by a membership patch (organization.delete).';
update public.permissions set owner_only = true where name = 'organization.delete';

-- Effective permissions, materialized. The view computed role permissions − revokes + grants on every read, and a
-- permission rule that read it could not use an index (a user with no data cost a scan of every tenant). The table
-- holds the same rows, kept current by the triggers below, with an index per lookup direction.
drop view public.membership_effective_permissions;
create table public.membership_effective_permissions (
  organization_id uuid not null,
  user_id text not null,
  permission text not null references public.permissions (name) on update cascade on delete cascade,
  primary key (organization_id, user_id, permission),
  foreign key (organization_id, user_id) references public.memberships (organization_id, user_id)
    on update cascade on delete cascade
);
-- Permission rules look up "what does this user hold" by user first (the caller), then by organization.
create index membership_effective_permissions_user_idx
  on public.membership_effective_permissions (user_id, permission, organization_id);
comment on table public.membership_effective_permissions is
  'Effective permissions of each membership (role permissions, minus revoke patches, plus grant patches; owners: their role''s permissions whatever patches say). Written only by triggers.';

-- Patches are looked up per caller too (the membership rules read "patches of memberships in my organizations").
create index membership_permission_patches_user_idx on public.membership_permission_patches (user_id);

-- Recomputes the effective permissions of the memberships of one organization role, or of one membership.
-- Security definer: writers of memberships, patches and the catalogue need no privilege on this table.
create function public.refresh_effective_permissions(p_role text, p_organization_id uuid, p_user_id text) returns void
language plpgsql security definer set search_path = pg_catalog, public as $$
begin
  delete from public.membership_effective_permissions e
   using public.memberships m
   where e.organization_id = m.organization_id and e.user_id = m.user_id
     and (p_role is null or m.role = p_role)
     and (p_organization_id is null or (m.organization_id = p_organization_id and m.user_id = p_user_id));
  insert into public.membership_effective_permissions (organization_id, user_id, permission)
  select m.organization_id, m.user_id, rp.permission
    from public.memberships m
    join public.organization_role_permissions rp on rp.role = m.role
   where (p_role is null or m.role = p_role)
     and (p_organization_id is null or (m.organization_id = p_organization_id and m.user_id = p_user_id))
     -- Owners keep every permission of their role: no patch can lock an owner out.
     and (m.role = 'owner' or not exists (
           select 1 from public.membership_permission_patches p
            where p.organization_id = m.organization_id and p.user_id = m.user_id
              and p.permission = rp.permission and p.effect = 'revoke'))
  union
  select p.organization_id, p.user_id, p.permission
    from public.membership_permission_patches p
    join public.memberships m on m.organization_id = p.organization_id and m.user_id = p.user_id
   where p.effect = 'grant' and m.role <> 'owner'
     and (p_role is null or m.role = p_role)
     and (p_organization_id is null or (m.organization_id = p_organization_id and m.user_id = p_user_id));
end;
$$;
comment on function public.refresh_effective_permissions(text, uuid, text) is
  'Recomputes membership_effective_permissions: for every membership of role p_role, or for one membership (p_organization_id, p_user_id), or for all (both null).';
revoke execute on function public.refresh_effective_permissions(text, uuid, text) from public;

create function public.effective_permissions_after_membership_change() returns trigger
language plpgsql security definer set search_path = pg_catalog, public as $$
begin
  -- A deleted membership takes its rows with it (foreign key, on delete cascade).
  perform public.refresh_effective_permissions(null, new.organization_id, new.user_id);
  return null;
end;
$$;
create trigger refresh_effective_permissions after insert or update of role, organization_id, user_id on public.memberships
  for each row execute function public.effective_permissions_after_membership_change();

create function public.effective_permissions_after_patch_change() returns trigger
language plpgsql security definer set search_path = pg_catalog, public as $$
begin
  if tg_op in ('UPDATE', 'DELETE') then
    perform public.refresh_effective_permissions(null, old.organization_id, old.user_id);
  end if;
  if tg_op in ('INSERT', 'UPDATE') then
    perform public.refresh_effective_permissions(null, new.organization_id, new.user_id);
  end if;
  return null;
end;
$$;
create trigger refresh_effective_permissions after insert or update or delete on public.membership_permission_patches
  for each row execute function public.effective_permissions_after_patch_change();

create function public.effective_permissions_after_catalogue_change() returns trigger
language plpgsql security definer set search_path = pg_catalog, public as $$
begin
  if tg_op in ('UPDATE', 'DELETE') then
    perform public.refresh_effective_permissions(old.role, null, null);
  end if;
  if tg_op in ('INSERT', 'UPDATE') then
    perform public.refresh_effective_permissions(new.role, null, null);
  end if;
  return null;
end;
$$;
create trigger refresh_effective_permissions after insert or update or delete on public.organization_role_permissions
  for each row execute function public.effective_permissions_after_catalogue_change();

revoke execute on function public.effective_permissions_after_membership_change() from public;
revoke execute on function public.effective_permissions_after_patch_change() from public;
revoke execute on function public.effective_permissions_after_catalogue_change() from public;

select public.refresh_effective_permissions(null, null, null);

-- Same signature as before; now one primary-key lookup.
create or replace function public.has_organization_permission(p_organization_id uuid, p_user_id text, p_permission text)
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

-- The roles a membership may hand out (add a member with, change a member to or from, remove a member of): those whose
-- every permission it holds itself. Nobody hands out what they do not hold, so only owners name or remove owners,
-- and an admin whose files.delete was revoked cannot restore it through a second account made admin.
create view public.membership_assignable_roles as
select m.organization_id, m.user_id, r.name as role
  from public.memberships m
 cross join public.organization_roles r
 where not exists (
   select 1
     from public.organization_role_permissions rp
    where rp.role = r.name
      and not exists (
        select 1 from public.membership_effective_permissions e
         where e.organization_id = m.organization_id and e.user_id = m.user_id and e.permission = rp.permission));
comment on view public.membership_assignable_roles is
  'Per membership, the organization roles all of whose permissions it effectively holds: the roles it may assign or revoke.';

-- Patches never apply to owners and never hand out an owner-only permission, whoever writes them.
create function public.check_membership_permission_patch() returns trigger
language plpgsql security definer set search_path = pg_catalog, public as $$
begin
  if exists (select 1 from public.memberships m
              where m.organization_id = new.organization_id and m.user_id = new.user_id and m.role = 'owner') then
    raise exception 'owners hold every permission of their role: a permission patch cannot apply to an owner'
      using errcode = 'check_violation', constraint = 'membership_permission_patches_not_owner';
  end if;
  if new.effect = 'grant' and exists (select 1 from public.permissions p where p.name = new.permission and p.owner_only) then
    raise exception 'permission % is held by owners alone and cannot be granted by a patch', new.permission
      using errcode = 'check_violation', constraint = 'membership_permission_patches_not_owner_only';
  end if;
  return new;
end;
$$;
revoke execute on function public.check_membership_permission_patch() from public;
create trigger check_membership_permission_patch before insert or update on public.membership_permission_patches
  for each row execute function public.check_membership_permission_patch();

-- Every organization keeps an owner. Checked at commit, so an ownership hand-over (promote one, demote the other) can
-- happen in one transaction, and skipped when the organization itself is gone.
create function public.check_organization_keeps_owner() returns trigger
language plpgsql security definer set search_path = pg_catalog, public as $$
begin
  -- A user's own deletion (or their organization's) is never blocked: that organization is left for an operator.
  if old.role = 'owner'
     and exists (select 1 from public.organizations o where o.id = old.organization_id)
     and exists (select 1 from public.users u where u.id = old.user_id)
     and not exists (select 1 from public.memberships m where m.organization_id = old.organization_id and m.role = 'owner') then
    raise exception 'organization % would have no owner left: name another owner first', old.organization_id
      using errcode = 'check_violation', constraint = 'memberships_organization_keeps_owner';
  end if;
  return null;
end;
$$;
revoke execute on function public.check_organization_keeps_owner() from public;
create constraint trigger check_organization_keeps_owner after update of role or delete on public.memberships
  deferrable initially deferred
  for each row execute function public.check_organization_keeps_owner();

-- Files: the object path is the server's. A client names the file; the path is <scope>/<file id>, so nobody claims
-- another organization's path or learns from a unique violation which paths exist.
alter table public.files add column name text;
alter table public.files disable trigger record_audit_log;
update public.files set name = left(coalesce(nullif(regexp_replace(object_path, '^.*/', ''), ''), object_path), 255);
alter table public.files enable trigger record_audit_log;
alter table public.files alter column name set not null;
alter table public.files add constraint files_name_check
  check (char_length(name) between 1 and 255 and name !~ '[[:cntrl:]]');
comment on column public.files.name is 'The file name shown to people; the object path is derived, not named.';

-- The scope a file is shared in: its organization, or its owner for a personal file. Permission rules match it against
-- file_access_scopes with one index lookup.
alter table public.files add column access_scope text generated always as (
  case when organization_id is null then 'user:' || owner_id else 'organization:' || organization_id::text end
) stored;
create index files_access_scope_idx on public.files (access_scope);
comment on column public.files.access_scope is
  'organization:<id> for an organization''s file, user:<owner id> for a personal file; see file_access_scopes.';

-- At most 1024 bytes, Cloud Storage's limit for object names (https://cloud.google.com/storage/docs/objects#naming).
alter table public.files add constraint files_object_path_length check (octet_length(object_path) <= 1024) not valid;
-- A media type: type/subtype of RFC 6838 restricted-name characters, 127 at most each (https://www.rfc-editor.org/rfc/rfc6838#section-4.2).
alter table public.files drop constraint files_content_type_check;
alter table public.files add constraint files_content_type_check
  check (content_type ~ '^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}$') not valid;

create function public.assign_file_object_path() returns trigger
language plpgsql set search_path = pg_catalog, public as $$
begin
  if tg_op = 'INSERT' then
    if new.organization_id is null and new.owner_id is null then
      raise exception 'a personal file (no organization) needs an owner'
        using errcode = 'not_null_violation', constraint = 'files_personal_owner';
    end if;
    new.object_path := case when new.organization_id is null then 'users/' || new.owner_id
                            else 'organizations/' || new.organization_id::text end || '/' || new.id::text;
    return new;
  end if;
  -- Where a file lives and whose it is never change; only the owner's deletion clears owner_id (on delete set null).
  if new.id is distinct from old.id
     or new.object_path is distinct from old.object_path
     or new.organization_id is distinct from old.organization_id
     or (new.owner_id is distinct from old.owner_id and new.owner_id is not null) then
    raise exception 'a file''s id, object path, organization and owner cannot change'
      using errcode = 'check_violation', constraint = 'files_location_immutable';
  end if;
  return new;
end;
$$;
revoke execute on function public.assign_file_object_path() from public;
create trigger assign_file_object_path before insert or update on public.files
  for each row execute function public.assign_file_object_path();

-- Who may do what with a file, per scope: members through their effective files.* permissions in the organization,
-- and every active user with every files.* permission in their own personal scope. One row per (scope, user, permission).
create view public.file_access_scopes as
select 'organization:' || e.organization_id::text as access_scope, e.user_id, e.permission
  from public.membership_effective_permissions e
 where e.permission in ('files.read', 'files.write', 'files.delete')
union all
select 'user:' || u.id, u.id, p.permission
  from public.users u
 cross join (values ('files.read'), ('files.write'), ('files.delete')) as p (permission)
 where u.deleted_at is null;
comment on view public.file_access_scopes is
  'Per file scope (files.access_scope), the users holding each files.* permission in it.';

-- Text a user writes is capped, whichever API writes it.
alter table public.users add constraint users_display_name_length check (char_length(display_name) <= 100) not valid;
alter table public.organizations add constraint organizations_name_length check (char_length(name) <= 200) not valid;

-- Rows one user can create. Each also costs an audit_log row, so without a cap one account could fill the database.
create table public.row_quotas (
  name text primary key,
  max_rows integer not null check (max_rows > 0),
  description text not null
);
comment on table public.row_quotas is 'Caps on rows one user or organization can create; raise a cap with an update (seeds keep edited values).';
insert into public.row_quotas (name, max_rows, description) values
  ('files_per_owner', 1000, 'Files one user owns, across their organizations and personal files.'),
  ('organizations_per_creator', 20, 'Organizations one user has created.'),
  ('feature_flags_per_organization', 200, 'Feature flags of one organization.');

-- BEFORE INSERT: counts the rows of the same owner under a transaction lock on (quota, owner), so concurrent inserts
-- cannot both pass. Arguments: quota name, counted column. Security definer: the creating role need not read the table.
create function public.enforce_row_quota() returns trigger
language plpgsql security definer set search_path = pg_catalog, public as $$
declare
  quota_name text := tg_argv[0];
  counted_column text := tg_argv[1];
  owner_value text := to_jsonb(new) ->> counted_column;
  quota integer;
  existing bigint;
begin
  if owner_value is null then
    return new;
  end if;
  select max_rows into quota from public.row_quotas where name = quota_name;
  if quota is null then
    return new;
  end if;
  perform pg_advisory_xact_lock(hashtextextended(quota_name || ':' || owner_value, 0));
  -- ($1).<column> keeps the column's type, so the count uses the column's index.
  execute format('select count(*) from %I.%I where %I = ($1).%I', tg_table_schema, tg_table_name, counted_column, counted_column)
    into existing using new;
  if existing >= quota then
    raise exception 'row quota % reached: at most % rows', quota_name, quota
      using errcode = 'program_limit_exceeded', constraint = quota_name || '_limit',
            hint = 'an operator can raise it in public.row_quotas';
  end if;
  return new;
end;
$$;
revoke execute on function public.enforce_row_quota() from public;
create trigger enforce_row_quota before insert on public.files
  for each row execute function public.enforce_row_quota('files_per_owner', 'owner_id');
create trigger enforce_row_quota before insert on public.organizations
  for each row execute function public.enforce_row_quota('organizations_per_creator', 'created_by');
create trigger enforce_row_quota before insert on public.organization_feature_flags
  for each row execute function public.enforce_row_quota('feature_flags_per_organization', 'organization_id');
