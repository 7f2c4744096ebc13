drop function if exists public.purge_abandoned_uploads(interval);
