-- Least privilege inside Postgres, as Cloud SQL runs it: nobody is superuser. Users made through the Cloud SQL API
-- (hasura and every svc_<name>) get CREATEROLE and CREATEDB and are members of cloudsqlsuperuser, which owns the
-- databases the API creates (https://cloud.google.com/sql/docs/postgres/users). This migration runs as `hasura`
-- (Hasura's run_sql at deploy), so everything here is owned by `hasura` and granted by it.

-- The public schema belongs to pg_database_owner, i.e. to cloudsqlsuperuser and so to every API user, and a schema's
-- owner can drop it with everything in it. Hand it to Hasura's user, which owns the tables anyway.
alter schema public owner to hasura;

do $$
begin
  -- The same for the database: as members of its owner, every API user could create schemas in it, grant itself
  -- privileges on it, or hand it to someone else. Only Hasura's user owns it then. Done only when the owner is the
  -- role Cloud SQL uses (a database made through the Cloud SQL API).
  if (select pg_get_userbyid(datdba) from pg_database where datname = current_database()) = 'cloudsqlsuperuser' then
    execute format('alter database %I owner to hasura', current_database());
  end if;

  -- Roles are per cluster, so a second stack database (or a re-run after a down) may have made them already.
  -- NOLOGIN: these are bundles of privileges, granted to the svc_<name> users by the deploy (infra/dynamic/database-roles.ts).
  if not exists (select from pg_roles where rolname = 'pulsura_service') then
    create role pulsura_service nologin;
  end if;
  if not exists (select from pg_roles where rolname = 'pulsura_organization_writer') then
    create role pulsura_organization_writer nologin;
  end if;
end
$$;
comment on role pulsura_service is 'Every microservice (services/kit): delivery bookkeeping in processed_deliveries.';
comment on role pulsura_organization_writer is 'Creates organizations with their owner membership (core createOrganization).';

-- Nothing reaches the tables through PUBLIC; each grant below names the statement that needs it.
revoke all on all tables in schema public from public;
grant usage on schema public to pulsura_service, pulsura_organization_writer;

-- services/kit/src/transaction.ts runOnce: insert ... on conflict (delivery_id) do nothing;
-- services/core/src/crons/purge_processed_deliveries.ts: delete ... where processed_at < ... (reads the column).
grant select, insert, delete on public.processed_deliveries to pulsura_service;

-- services/core/src/actions/createOrganization.ts: insert into organizations (name, created_by) returning id,
-- insert into memberships (organization_id, user_id, role) returning organization_id. Foreign-key checks run as the
-- table owner, so no privilege on users is needed; the audit trigger writes audit_log as its owner (security definer).
grant insert (name, created_by) on public.organizations to pulsura_organization_writer;
grant select (id) on public.organizations to pulsura_organization_writer;
grant insert (organization_id, user_id, role) on public.memberships to pulsura_organization_writer;
grant select (organization_id) on public.memberships to pulsura_organization_writer;

-- The audit log is written by the trigger, never by a caller: run it as its owner so writers need no privilege on
-- audit_log (and cannot forge or read entries), with a fixed search_path as every security definer function needs
-- (https://www.postgresql.org/docs/current/sql-createfunction.html#SQL-CREATEFUNCTION-SECURITY).
alter function public.record_audit_log() security definer set search_path = pg_catalog, public;
revoke execute on function public.record_audit_log() from public;

-- Tables, sequences and functions Hasura's user creates later (console, later migrations) start closed too: a new
-- table is granted to a role in the migration that creates it, a function is not callable by every login.
alter default privileges for role hasura in schema public revoke all on tables from public;
alter default privileges for role hasura in schema public revoke all on sequences from public;
alter default privileges for role hasura in schema public revoke execute on functions from public;
-- Sequences behind identity/serial columns: a role granted insert on a later table can use its sequence.
alter default privileges for role hasura in schema public grant usage on sequences to pulsura_service;
