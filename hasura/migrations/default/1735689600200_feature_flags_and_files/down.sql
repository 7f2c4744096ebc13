drop table public.files;
drop table public.organization_feature_flags;
