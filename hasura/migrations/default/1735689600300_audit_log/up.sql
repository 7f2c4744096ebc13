-- Append-only audit log written by triggers on the audited tables.

create table public.audit_log (
  id bigint generated always as identity primary key,
  table_name text not null,
  operation text not null check (operation in ('INSERT', 'UPDATE', 'DELETE')),
  row_key jsonb not null,
  old_data jsonb,
  new_data jsonb,
  -- From Hasura's session variables; null for writes made outside Hasura without them.
  actor_id text,
  actor_role text,
  occurred_at timestamptz not null default now()
);
create index audit_log_row_idx on public.audit_log (table_name, row_key);
create index audit_log_occurred_at_idx on public.audit_log (occurred_at);
create index audit_log_actor_id_idx on public.audit_log (actor_id);

-- AFTER ROW trigger. Arguments: the primary-key column names of the audited table, used for row_key.
-- The actor comes from the transaction-local setting hasura.user, which Hasura sets to the JSON of the
-- request's session variables before every mutation (and which services set the same way).
create function public.record_audit_log() returns trigger
language plpgsql as $$
declare
  session_variables jsonb := nullif(current_setting('hasura.user', true), '')::jsonb;
  old_data jsonb := case when tg_op in ('UPDATE', 'DELETE') then to_jsonb(old) end;
  new_data jsonb := case when tg_op in ('INSERT', 'UPDATE') then to_jsonb(new) end;
  key_source jsonb := coalesce(new_data, old_data);
  row_key jsonb := '{}'::jsonb;
  key_column text;
begin
  foreach key_column in array tg_argv loop
    row_key := row_key || jsonb_build_object(key_column, key_source -> key_column);
  end loop;
  insert into public.audit_log (table_name, operation, row_key, old_data, new_data, actor_id, actor_role)
  values (
    tg_table_name,
    tg_op,
    row_key,
    old_data,
    new_data,
    session_variables ->> 'x-hasura-user-id',
    session_variables ->> 'x-hasura-role'
  );
  return null;
end;
$$;
comment on function public.record_audit_log() is
  'Audit trigger: arguments are the primary-key columns; actor from current_setting(''hasura.user'').';

create trigger record_audit_log after insert or update or delete on public.users
  for each row execute function public.record_audit_log('id');
create trigger record_audit_log after insert or update or delete on public.organizations
  for each row execute function public.record_audit_log('id');
create trigger record_audit_log after insert or update or delete on public.memberships
  for each row execute function public.record_audit_log('organization_id', 'user_id');
create trigger record_audit_log after insert or update or delete on public.membership_permission_patches
  for each row execute function public.record_audit_log('organization_id', 'user_id', 'permission');
create trigger record_audit_log after insert or update or delete on public.organization_feature_flags
  for each row execute function public.record_audit_log('organization_id', 'key');
create trigger record_audit_log after insert or update or delete on public.files
  for each row execute function public.record_audit_log('id');
