-- migrate: release 2, expand, file 1 of 3. Generated from the declared schema; do not edit.
-- Timeouts hold for this file's transaction only; on a lock timeout, run it again.
SET LOCAL lock_timeout = '100ms';
SET LOCAL statement_timeout = '5000ms';

-- R9 check that the contract of release 1 ran and that release 2 is not contracting: no table lock
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE CASE WHEN nspname ~ '^release_[0-9]+$' THEN substr(nspname, 9)::numeric > 2 ELSE false END) THEN
        RAISE EXCEPTION 'release 2 cannot expand: a later release has expanded since; there is nothing to do';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0001') THEN
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0002') THEN
            RAISE EXCEPTION 'release 2 is contracting or has contracted (schema release_0001 is gone): its expand has nothing left to do, and running it again would undo contract work';
        END IF;
        RAISE EXCEPTION 'release 2 cannot expand: release 1 has not expanded (schema release_0001 is missing); run the releases in order';
    END IF;
    IF (SELECT pg_catalog.obj_description(oid, 'pg_namespace') FROM pg_catalog.pg_namespace WHERE nspname = 'release_0001') NOT IN ('migrate: the contract of release 1 is complete', 'migrate: the contract of release 1 is complete; release 2 is expanding') IS NOT FALSE THEN
        RAISE EXCEPTION 'release 2 cannot expand: the contract of release 1 has not completed (schema release_0001 carries no completion mark); run it to the end (every step re-runs safely)';
    END IF;
    COMMENT ON SCHEMA "release_0001" IS 'migrate: the contract of release 1 is complete; release 2 is expanding';
END
$$;

-- C6 fill the NULLs written into public.users.handle with 'anonymous' (the running binary may write them): SHARE ROW EXCLUSIVE on public.users
CREATE OR REPLACE FUNCTION "public"."public_users_handle_r2_60a46c8a_fill"() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $fill$
BEGIN
    IF NEW."nickname" IS NULL THEN
        NEW."nickname" := 'anonymous';
    END IF;
    RETURN NEW;
END
$fill$;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = '"public"."users"'::regclass AND tgname = 'public_users_handle_r2_60a46c8a_fill') AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."users"'::regclass AND attname = 'nickname' AND NOT attnotnull AND NOT attisdropped) THEN
        CREATE TRIGGER "public_users_handle_r2_60a46c8a_fill" BEFORE INSERT OR UPDATE OF "nickname" ON "public"."users" FOR EACH ROW EXECUTE FUNCTION "public"."public_users_handle_r2_60a46c8a_fill"();
    END IF;
END
$$;

-- C6 fill the NULLs written into public.users.token with gen_random_uuid() (the running binary may write them): SHARE ROW EXCLUSIVE on public.users
CREATE OR REPLACE FUNCTION "public"."public_users_token_r2_c395a3d7_fill"() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $fill$
BEGIN
    IF NEW."token" IS NULL THEN
        NEW."token" := gen_random_uuid();
    END IF;
    RETURN NEW;
END
$fill$;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = '"public"."users"'::regclass AND tgname = 'public_users_token_r2_c395a3d7_fill') AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."users"'::regclass AND attname = 'token' AND NOT attnotnull AND NOT attisdropped) THEN
        CREATE TRIGGER "public_users_token_r2_c395a3d7_fill" BEFORE INSERT OR UPDATE OF "token" ON "public"."users" FOR EACH ROW EXECUTE FUNCTION "public"."public_users_token_r2_c395a3d7_fill"();
    END IF;
END
$$;

-- C11 set the default of public.users.token to gen_random_uuid(): ACCESS EXCLUSIVE on public.users
ALTER TABLE "public"."users" ALTER COLUMN "token" SET DEFAULT gen_random_uuid();
