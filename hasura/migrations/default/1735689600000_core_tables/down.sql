drop table public.processed_deliveries;
drop table public.memberships;
drop table public.organization_role_permissions;
drop table public.permissions;
drop table public.organization_roles;
drop table public.organizations;
drop table public.users;
drop function public.set_updated_at();
