-- Uploads that never finished: a pending row whose signed URL expired unused, or a failed one (its object was deleted
-- as not what was signed). Clients never see them, but they count toward the files_per_owner quota, so the core
-- service's purge_abandoned_uploads cron deletes them. It may delete only those rows: this function (running as the
-- table owner) rather than a delete grant on every file. Deleting a row fires file_deleted, which removes any object
-- left (the bucket's lifecycle rule would remove pending ones after a day anyway).
create function public.purge_abandoned_uploads(older_than interval) returns integer
  language sql volatile security definer set search_path = pg_catalog, public
as $$
  with purged as (
    delete from public.files where status in ('pending', 'failed') and created_at < now() - older_than returning 1
  )
  select count(*)::integer from purged
$$;
comment on function public.purge_abandoned_uploads(interval) is
  'Deletes pending and failed files rows created more than older_than ago (core cron purge_abandoned_uploads).';
revoke all on function public.purge_abandoned_uploads(interval) from public;
grant execute on function public.purge_abandoned_uploads(interval) to pulsura_file_manager;
