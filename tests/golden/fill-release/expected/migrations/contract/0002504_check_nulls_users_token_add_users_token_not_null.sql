-- migrate: release 2, contract, file 4 of 7. Generated from the declared schema; do not edit.
-- Timeouts hold for this file's transaction only; on a lock timeout, run it again.
SET LOCAL lock_timeout = '100ms';
SET LOCAL statement_timeout = '5000ms';

-- C6 check that public.users.token holds no NULL: no table lock
DO $$
BEGIN
    IF (SELECT count(*) FROM "public"."users" WHERE "token" IS NULL) > 0 THEN
        RAISE EXCEPTION 'public.users.token still has % NULL row(s): the backfill is not complete; run it before contract', (SELECT count(*) FROM "public"."users" WHERE "token" IS NULL);
    END IF;
END
$$;

-- C6 add constraint users_token_not_null to public.users NOT VALID: ACCESS EXCLUSIVE on public.users
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = '"public"."users"'::regclass AND conname = 'users_token_not_null') THEN
        ALTER TABLE "public"."users" ADD CONSTRAINT "users_token_not_null" CHECK ("token" IS NOT NULL) NOT VALID;
    END IF;
END
$$;
