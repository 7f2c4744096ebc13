drop function public.has_organization_permission(uuid, text, text);
drop view public.membership_effective_permissions;
drop table public.membership_permission_patches;
