-- migrate: release 2, contract, file 1 of 7. Generated from the declared schema; do not edit.
-- Timeouts hold for this file's transaction only; on a lock timeout, run it again.
SET LOCAL lock_timeout = '100ms';
SET LOCAL statement_timeout = '5000ms';

-- R9 check that the expand of release 2 ran: no table lock
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0002') THEN
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0003') THEN
            RAISE EXCEPTION 'release 2 contracted already and release 3 since (schema release_0002 is gone): running this contract again would act on a newer schema; there is nothing to do';
        END IF;
        RAISE EXCEPTION 'release 2 cannot contract: its expand has not run (schema release_0002 is missing); run expand, deploy, then contract';
    END IF;
END
$$;

-- R10 drop the views of release 1 (schema release_0001): its binary is gone: no table lock
DROP SCHEMA IF EXISTS "release_0001" CASCADE;

-- C6 drop the trigger that filled NULLs written into public.users.handle (the binary that wrote them is gone): ACCESS EXCLUSIVE on public.users
DROP TRIGGER IF EXISTS "public_users_handle_r2_60a46c8a_fill" ON "public"."users";
DROP FUNCTION IF EXISTS "public"."public_users_handle_r2_60a46c8a_fill"();

-- C6 drop the trigger that filled NULLs written into public.users.token (the binary that wrote them is gone): ACCESS EXCLUSIVE on public.users
DROP TRIGGER IF EXISTS "public_users_token_r2_c395a3d7_fill" ON "public"."users";
DROP FUNCTION IF EXISTS "public"."public_users_token_r2_c395a3d7_fill"();

-- C8 rename column public.users.nickname to handle: ACCESS EXCLUSIVE on public.users
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."users"'::regclass AND attname = 'nickname' AND NOT attisdropped) THEN
        ALTER TABLE "public"."users" RENAME COLUMN "nickname" TO "handle";
    END IF;
END
$$;

-- C6 check that public.users.handle holds no NULL: no table lock
DO $$
BEGIN
    IF (SELECT count(*) FROM "public"."users" WHERE "handle" IS NULL) > 0 THEN
        RAISE EXCEPTION 'public.users.handle still has % NULL row(s): the backfill is not complete; run it before contract', (SELECT count(*) FROM "public"."users" WHERE "handle" IS NULL);
    END IF;
END
$$;

-- C6 add constraint users_handle_not_null to public.users NOT VALID: ACCESS EXCLUSIVE on public.users
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = '"public"."users"'::regclass AND conname = 'users_handle_not_null') THEN
        ALTER TABLE "public"."users" ADD CONSTRAINT "users_handle_not_null" CHECK ("handle" IS NOT NULL) NOT VALID;
    END IF;
END
$$;
