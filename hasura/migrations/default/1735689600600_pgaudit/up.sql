-- pgaudit audits only once the extension exists in the database: the cloudsql.enable_pgaudit flag only loads it
-- (https://cloud.google.com/sql/docs/postgres/pg-audit). Cloud SQL offers it to cloudsqlsuperuser members such as
-- Hasura's user; a Postgres without it (the embedded cluster of the tests and `npm run dev`) skips it.
do $$
begin
  if exists (select from pg_available_extensions where name = 'pgaudit') then
    create extension if not exists pgaudit;
  else
    raise notice 'pgaudit is not available on this server: not created';
  end if;
end
$$;
