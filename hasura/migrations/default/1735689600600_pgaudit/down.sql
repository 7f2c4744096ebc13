drop extension if exists pgaudit;
