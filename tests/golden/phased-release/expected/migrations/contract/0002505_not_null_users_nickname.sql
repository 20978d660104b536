-- migrate: release 2, contract, file 5 of 12. Generated from the declared schema; do not edit.
-- Timeouts hold for this file's transaction only; on a lock timeout, run it again.
SET LOCAL lock_timeout = '100ms';

-- C6 set public.users.nickname NOT NULL (the valid check spares the scan) and drop the check: ACCESS EXCLUSIVE on public.users
ALTER TABLE "public"."users" ALTER COLUMN "nickname" SET NOT NULL;
ALTER TABLE "public"."users" DROP CONSTRAINT IF EXISTS "users_nickname_not_null";
