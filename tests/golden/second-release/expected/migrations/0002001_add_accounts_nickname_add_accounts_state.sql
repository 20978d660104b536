-- migrate: release 2, expand, file 1 of 4. Generated from the declared schema; do not edit.
-- Timeouts hold for this file's transaction only; on a lock timeout, run it again.
SET LOCAL lock_timeout = '100ms';
SET LOCAL statement_timeout = '5000ms';

-- C1 add column public.accounts.nickname: ACCESS EXCLUSIVE on public.accounts
ALTER TABLE "public"."accounts" ADD COLUMN IF NOT EXISTS "nickname" text;

-- C2 add column public.accounts.state: ACCESS EXCLUSIVE on public.accounts
ALTER TABLE "public"."accounts" ADD COLUMN IF NOT EXISTS "state" text DEFAULT 'active' NOT NULL;
