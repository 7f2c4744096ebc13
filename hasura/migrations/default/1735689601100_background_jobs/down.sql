revoke all on public.files from pulsura_organization_exporter;
revoke all on public.memberships from pulsura_organization_exporter;
revoke all on public.organizations from pulsura_organization_exporter;
revoke usage on schema public from pulsura_organization_exporter;
delete from public.processed_deliveries where kind = 'job';
alter table public.processed_deliveries drop constraint processed_deliveries_kind_check;
alter table public.processed_deliveries add constraint processed_deliveries_kind_check check (kind in ('event', 'cron'));
comment on table public.processed_deliveries is 'Hasura event ids / scheduled event ids already handled by a microservice.';
