alter default privileges for role hasura in schema public revoke usage on sequences from pulsura_service;
alter default privileges for role hasura in schema public grant execute on functions to public;

grant execute on function public.record_audit_log() to public;
alter function public.record_audit_log() security invoker reset search_path;

revoke all on public.memberships from pulsura_organization_writer;
revoke all on public.organizations from pulsura_organization_writer;
revoke all on public.processed_deliveries from pulsura_service;
revoke usage on schema public from pulsura_service, pulsura_organization_writer;

-- The roles stay (they are per cluster and may be granted to users of another database); they hold nothing here now.

alter schema public owner to pg_database_owner;

do $$
begin
  if (select pg_get_userbyid(datdba) from pg_database where datname = current_database()) = 'hasura'
     and exists (select from pg_roles where rolname = 'cloudsqlsuperuser') then
    execute format('alter database %I owner to cloudsqlsuperuser', current_database());
  end if;
end
$$;
