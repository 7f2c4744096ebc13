-- Uploads through short-lived signed URLs (services/core createUploadUrl, the storage push, file_deleted). A files row
-- is created pending by createUploadUrl with the content type and size its upload URL is signed for; the bucket's
-- finalize notification moves the object from uploads/<object_path> to <object_path> and marks the row uploaded, or
-- failed when the object is not what was signed. Clients see a row only once it is uploaded.

-- Rows that exist already were written before uploads went through the service: they stay readable. The column is
-- added with 'uploaded' as its default (no update, so no audit rows), and new rows then start pending.
alter table public.files add column status text not null default 'uploaded'
  constraint files_status_check check (status in ('pending', 'uploaded', 'failed'));
alter table public.files alter column status set default 'pending';
comment on column public.files.status is
  'pending: created with its upload URL; uploaded: the object is at object_path; failed: the upload was not what was signed.';
alter table public.files add column uploaded_at timestamptz;
comment on column public.files.uploaded_at is 'When the upload was confirmed (the bucket''s finalize notification).';

-- The scope a file is readable in: access_scope once uploaded, null before. The select permission matches it against
-- file_access_scopes like the other rules (one lookup), and null matches nothing. A generated column cannot use
-- another, so the scope expression is repeated.
alter table public.files add column readable_scope text generated always as (
  case when status = 'uploaded' then
    case when organization_id is null then 'user:' || owner_id else 'organization:' || organization_id::text end
  end
) stored;
create index files_readable_scope_idx on public.files (readable_scope);
comment on column public.files.readable_scope is 'access_scope once the file is uploaded, null before: what select permissions match.';

do $$
begin
  -- Roles are per cluster: another stack database, or a re-run after a down, may have made it already.
  if not exists (select from pg_roles where rolname = 'pulsura_file_manager') then
    create role pulsura_file_manager nologin;
  end if;
end
$$;
comment on role pulsura_file_manager is
  'Creates pending files rows and confirms uploads (core createUploadUrl, createDownloadUrl, storage push, file_deleted).';
grant usage on schema public to pulsura_file_manager;
-- createUploadUrl: the files.write check, as the insert permission, and the pending row it inserts.
grant select on public.file_access_scopes to pulsura_file_manager;
grant insert (owner_id, organization_id, name, content_type, size_bytes) on public.files to pulsura_file_manager;
-- createDownloadUrl and the storage push read the row; the push confirms or fails it.
grant select (id, owner_id, organization_id, name, object_path, content_type, size_bytes, status, uploaded_at, access_scope, readable_scope)
  on public.files to pulsura_file_manager;
grant update (status, uploaded_at, size_bytes, content_type) on public.files to pulsura_file_manager;
-- createDownloadUrl for operators: their gate is their users row, as in the operator select permission.
grant select (id, role, deleted_at) on public.users to pulsura_file_manager;
