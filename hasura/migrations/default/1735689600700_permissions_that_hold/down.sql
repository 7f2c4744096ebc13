drop trigger enforce_row_quota on public.organization_feature_flags;
drop trigger enforce_row_quota on public.organizations;
drop trigger enforce_row_quota on public.files;
drop function public.enforce_row_quota();
drop table public.row_quotas;

alter table public.organizations drop constraint organizations_name_length;
alter table public.users drop constraint users_display_name_length;

drop view public.file_access_scopes;
drop trigger assign_file_object_path on public.files;
drop function public.assign_file_object_path();
alter table public.files drop constraint files_content_type_check;
alter table public.files add constraint files_content_type_check check (content_type ~ '^[a-z0-9.+-]+/[A-Za-z0-9.+-]+');
alter table public.files drop constraint files_object_path_length;
drop index public.files_access_scope_idx;
alter table public.files drop column access_scope;
alter table public.files drop column name;

drop trigger check_organization_keeps_owner on public.memberships;
drop function public.check_organization_keeps_owner();
drop trigger check_membership_permission_patch on public.membership_permission_patches;
drop function public.check_membership_permission_patch();
drop view public.membership_assignable_roles;

drop trigger refresh_effective_permissions on public.organization_role_permissions;
drop trigger refresh_effective_permissions on public.membership_permission_patches;
drop trigger refresh_effective_permissions on public.memberships;
drop function public.effective_permissions_after_catalogue_change();
drop function public.effective_permissions_after_patch_change();
drop function public.effective_permissions_after_membership_change();
drop function public.refresh_effective_permissions(text, uuid, text);
drop index public.membership_permission_patches_user_idx;
drop table public.membership_effective_permissions;

-- The view of 1735689600100, as it was (has_organization_permission reads it by name again).
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

alter table public.permissions drop column owner_only;
