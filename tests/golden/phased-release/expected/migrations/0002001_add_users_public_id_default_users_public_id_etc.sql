-- migrate: release 2, expand, file 1 of 3. Generated from the declared schema; do not edit.
-- Timeouts hold for this file's transaction only; on a lock timeout, run it again.
SET LOCAL lock_timeout = '100ms';
SET LOCAL statement_timeout = '5000ms';

-- C3 add column public.users.public_id: ACCESS EXCLUSIVE on public.users
ALTER TABLE "public"."users" ADD COLUMN IF NOT EXISTS "public_id" uuid;

-- C3 set the default of public.users.public_id for new rows: ACCESS EXCLUSIVE on public.users
ALTER TABLE "public"."users" ALTER COLUMN "public_id" SET DEFAULT gen_random_uuid();

-- C5 allow NULL in public.users.legacy so inserts through the new views succeed: ACCESS EXCLUSIVE on public.users
ALTER TABLE "public"."users" ALTER COLUMN "legacy" DROP NOT NULL;
