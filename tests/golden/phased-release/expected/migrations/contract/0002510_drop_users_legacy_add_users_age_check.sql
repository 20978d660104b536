-- migrate: release 2, contract, file 10 of 12. Generated from the declared schema; do not edit.
-- Timeouts hold for this file's transaction only; on a lock timeout, run it again.
SET LOCAL lock_timeout = '100ms';
SET LOCAL statement_timeout = '5000ms';

-- C5 drop column public.users.legacy: ACCESS EXCLUSIVE on public.users
ALTER TABLE "public"."users" DROP COLUMN IF EXISTS "legacy";

-- K1 add constraint users_age_check to public.users NOT VALID: ACCESS EXCLUSIVE on public.users
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = '"public"."users"'::regclass AND conname = 'users_age_check') THEN
        ALTER TABLE "public"."users" ADD CONSTRAINT "users_age_check" CHECK (age >= 0) NOT VALID;
    END IF;
END
$$;
