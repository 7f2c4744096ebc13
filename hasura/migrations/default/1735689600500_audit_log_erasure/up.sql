-- Erasure reaches the audit log: when a user is deleted, or anonymized (deleted_at set), the personal values the audit
-- log kept about them are scrubbed in the same transaction, and the audit row of the erasure says it was one.

alter table public.audit_log add column erasure boolean not null default false;
comment on column public.audit_log.erasure is
  'True on the row that recorded a user''s deletion or anonymization; that user''s personal values were then scrubbed from every row.';

-- The users columns that hold personal data; scrubbed values become JSON null, so the row keeps its shape.
create function public.scrub_user_personal_data(data jsonb) returns jsonb
language sql immutable as $$
  select case when data is null then null
    else data || (select coalesce(jsonb_object_agg(key, 'null'::jsonb), '{}'::jsonb)
                  from unnest(array['phone', 'email', 'display_name']) as key where data ? key)
  end;
$$;
comment on function public.scrub_user_personal_data(jsonb) is 'The users row as JSON with phone, email and display_name set to null.';

-- AFTER trigger on users, named to fire after record_audit_log (AFTER triggers fire in name order), so the row that
-- records the erasure itself is scrubbed and marked too. Security definer: whoever deletes a user (Hasura's user in
-- production) needs no privilege on audit_log.
create function public.erase_user_from_audit_log() returns trigger
language plpgsql security definer set search_path = pg_catalog, public as $$
declare
  user_key jsonb := jsonb_build_object('id', old.id);
  latest bigint;
begin
  if tg_op = 'UPDATE' and not (old.deleted_at is null and new.deleted_at is not null) then
    return null;
  end if;
  update public.audit_log
     set old_data = public.scrub_user_personal_data(old_data),
         new_data = public.scrub_user_personal_data(new_data)
   where table_name = 'users' and row_key = user_key;
  select max(id) into latest from public.audit_log where table_name = 'users' and row_key = user_key;
  update public.audit_log set erasure = true where id = latest;
  return null;
end;
$$;
comment on function public.erase_user_from_audit_log() is
  'On a user''s deletion or anonymization: scrubs their personal values from audit_log and marks the erasure''s audit row.';
revoke execute on function public.erase_user_from_audit_log() from public;

create trigger scrub_audit_log_personal_data after delete or update of deleted_at on public.users
  for each row execute function public.erase_user_from_audit_log();
