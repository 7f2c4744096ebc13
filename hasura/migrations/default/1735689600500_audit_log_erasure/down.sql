drop trigger scrub_audit_log_personal_data on public.users;
drop function public.erase_user_from_audit_log();
drop function public.scrub_user_personal_data(jsonb);
alter table public.audit_log drop column erasure;
