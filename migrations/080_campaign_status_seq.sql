-- The campaign workflow numbers its status writes; a write lands only over an older one, so a late
-- retried attempt cannot overwrite a newer status (design: Campaign, the stored status).
alter table campaigns add column status_seq bigint not null default 0;
