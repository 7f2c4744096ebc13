revoke all on public.files from pulsura_file_manager;
revoke all on public.file_access_scopes from pulsura_file_manager;
revoke all on public.users from pulsura_file_manager;
revoke usage on schema public from pulsura_file_manager;
-- The role stays (it is per cluster and may be granted to users of another database); it holds nothing here now.

drop index public.files_readable_scope_idx;
alter table public.files drop column readable_scope;
alter table public.files drop column uploaded_at;
alter table public.files drop column status;
