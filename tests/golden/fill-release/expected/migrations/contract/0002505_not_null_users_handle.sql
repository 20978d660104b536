-- migrate: release 2, contract, file 5 of 10. Generated from the declared schema; do not edit.
-- Timeouts hold for this file's transaction only; on a lock timeout, run it again.
SET LOCAL lock_timeout = '100ms';

-- C6 set public.users.handle NOT NULL (the valid check spares the scan) and drop the check: ACCESS EXCLUSIVE on public.users
ALTER TABLE "public"."users" ALTER COLUMN "handle" SET NOT NULL;
ALTER TABLE "public"."users" DROP CONSTRAINT IF EXISTS "users_handle_not_null";
