-- no-transaction
-- migrate: release 2, expand, file 2 of 5. Generated from the declared schema; do not edit.
-- PostgreSQL runs this statement only alone, so it cannot check the release order itself: the files before and after it do.

-- I5 create index accounts_active_idx on public.accounts: SHARE UPDATE EXCLUSIVE on public.accounts
CREATE INDEX CONCURRENTLY IF NOT EXISTS "accounts_active_idx" ON "public"."accounts" USING btree ("state") WHERE state = 'active';
