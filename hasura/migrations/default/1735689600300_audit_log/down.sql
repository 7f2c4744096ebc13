drop trigger record_audit_log on public.files;
drop trigger record_audit_log on public.organization_feature_flags;
drop trigger record_audit_log on public.membership_permission_patches;
drop trigger record_audit_log on public.memberships;
drop trigger record_audit_log on public.organizations;
drop trigger record_audit_log on public.users;
drop function public.record_audit_log();
drop table public.audit_log;
