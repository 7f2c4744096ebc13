revoke all on public.users from pulsura_user_role_reader;
revoke usage on schema public from pulsura_user_role_reader;
-- The role stays (it is per cluster and may be granted to users of another database); it holds nothing here now.

alter table public.users drop constraint users_role_check;
update public.users set role = 'admin' where role = 'operator';
alter table public.users add constraint users_role_check check (role in ('user', 'admin'));
comment on column public.users.role is 'Global role, copied into the Hasura JWT claims (user | admin).';
