-- migrate: release 2, contract, file 7 of 10. Generated from the declared schema; do not edit.
-- Timeouts hold for this file's transaction only; on a lock timeout, run it again.
SET LOCAL lock_timeout = '100ms';
SET LOCAL statement_timeout = '5000ms';

-- C6 add constraint users_token_not_null to public.users NOT VALID: ACCESS EXCLUSIVE on public.users
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = '"public"."users"'::regclass AND conname = 'users_token_not_null') THEN
        ALTER TABLE "public"."users" ADD CONSTRAINT "users_token_not_null" CHECK ("token" IS NOT NULL) NOT VALID;
    END IF;
END
$$;
