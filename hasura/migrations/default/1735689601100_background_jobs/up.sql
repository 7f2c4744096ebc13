-- Background jobs (services/kit jobs, Cloud Tasks): a task runs at most once per task name, recorded in
-- processed_deliveries like Hasura's deliveries.
alter table public.processed_deliveries drop constraint processed_deliveries_kind_check;
alter table public.processed_deliveries add constraint processed_deliveries_kind_check check (kind in ('event', 'cron', 'job'));
comment on table public.processed_deliveries is
  'Hasura event ids / scheduled event ids, and Cloud Tasks task names (<queue>/<task>), already handled by a microservice.';

do $$
begin
  -- Roles are per cluster: another stack database, or a re-run after a down, may have made it already.
  if not exists (select from pg_roles where rolname = 'pulsura_organization_exporter') then
    create role pulsura_organization_exporter nologin;
  end if;
end
$$;
comment on role pulsura_organization_exporter is
  'Reads what an organization export holds (core job export-organization): the organization, its members and its files.';
grant usage on schema public to pulsura_organization_exporter;
-- services/core/src/jobs/export-organization.ts reads these columns, and nothing written by users beyond them.
grant select (id, name, created_by, created_at) on public.organizations to pulsura_organization_exporter;
grant select (organization_id, user_id, role, created_at) on public.memberships to pulsura_organization_exporter;
grant select (id, organization_id, name, content_type, size_bytes, status, created_at, uploaded_at) on public.files to pulsura_organization_exporter;
