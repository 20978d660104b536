-- no-transaction
-- migrate: release 2, expand, file 3 of 4. Generated from the declared schema; do not edit.

-- I1 create index accounts_email_idx on public.accounts: SHARE UPDATE EXCLUSIVE on public.accounts
CREATE INDEX CONCURRENTLY IF NOT EXISTS "accounts_email_idx" ON "public"."accounts" USING btree ("email");
