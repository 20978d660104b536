-- migrate: release 2, expand, file 1 of 4. Generated from the declared schema; do not edit.
-- Timeouts hold for this file's transaction only; on a lock timeout, run it again.
SET LOCAL lock_timeout = '100ms';
SET LOCAL statement_timeout = '5000ms';

-- R9 check that the contract of release 1 ran: no table lock
DO $$
BEGIN
    IF (SELECT pg_catalog.obj_description(oid, 'pg_namespace') FROM pg_catalog.pg_namespace WHERE nspname = 'release_0001') IS DISTINCT FROM 'migrate: the contract of release 1 is complete' AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0002') THEN
        RAISE EXCEPTION 'release 2 cannot expand: the contract of release 1 has not completed (schema release_0001 carries no completion mark); run it to the end (every step re-runs safely)';
    END IF;
END
$$;

-- C1 add column public.accounts.nickname: ACCESS EXCLUSIVE on public.accounts
ALTER TABLE "public"."accounts" ADD COLUMN IF NOT EXISTS "nickname" text;

-- C2 add column public.accounts.state: ACCESS EXCLUSIVE on public.accounts
ALTER TABLE "public"."accounts" ADD COLUMN IF NOT EXISTS "state" text DEFAULT 'active' NOT NULL;
