-- App administrators get their own Hasura role, `operator`. Hasura's `admin` is its built-in full-access role (the
-- metadata API and run_sql included): a users row holding it put that role into a Firebase token
-- (services/kit/src/claims.ts). `admin` is now for requests made with the admin secret alone.

-- The old check allows admin, so it goes before the rows change and the new one comes after. Existing administrators
-- keep their rights as operators. On a deployed stack this update fires the user_role_changed event trigger, whose
-- handler (services/core) then gives each of them operator claims for their next token.
alter table public.users drop constraint users_role_check;
update public.users set role = 'operator' where role = 'admin';
alter table public.users add constraint users_role_check check (role in ('user', 'operator'));
comment on column public.users.role is
  'Global role, copied into the Hasura JWT claims (user | operator). Never admin: that is Hasura''s built-in role, for the admin secret alone.';

-- core's user_role_changed reads a user's current role (a delivery may be a stale retry), and nothing else of users.
do $$
begin
  -- Roles are per cluster: another stack database, or a re-run after a down, may have made it already.
  if not exists (select from pg_roles where rolname = 'pulsura_user_role_reader') then
    create role pulsura_user_role_reader nologin;
  end if;
end
$$;
comment on role pulsura_user_role_reader is 'Reads users(id, role, deleted_at): the current global role (core user_role_changed).';
grant usage on schema public to pulsura_user_role_reader;
-- services/core/src/events/user_role_changed.ts: select role, deleted_at from users where id = $1.
grant select (id, role, deleted_at) on public.users to pulsura_user_role_reader;
