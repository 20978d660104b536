-- migrate: release 2, contract, file 4 of 9. Generated from the declared schema; do not edit.
-- Timeouts hold for this file's transaction only; on a lock timeout, run it again.
SET LOCAL lock_timeout = '100ms';
SET LOCAL statement_timeout = '5000ms';

-- C3 check that public.users.public_id holds no NULL: no table lock
DO $$
BEGIN
    IF (SELECT count(*) FROM "public"."users" WHERE "public_id" IS NULL) > 0 THEN
        RAISE EXCEPTION 'public.users.public_id still has % NULL row(s): the backfill is not complete; run it before contract', (SELECT count(*) FROM "public"."users" WHERE "public_id" IS NULL);
    END IF;
END
$$;

-- C3 add constraint users_public_id_not_null to public.users NOT VALID: ACCESS EXCLUSIVE on public.users
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = '"public"."users"'::regclass AND conname = 'users_public_id_not_null') THEN
        ALTER TABLE "public"."users" ADD CONSTRAINT "users_public_id_not_null" CHECK ("public_id" IS NOT NULL) NOT VALID;
    END IF;
END
$$;
