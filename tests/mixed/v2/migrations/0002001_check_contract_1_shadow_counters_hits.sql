-- migrate: release 2, expand, file 1 of 7. Generated from the declared schema; do not edit.
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

-- C10 add shadow column public.counters.hits_r2_324ec59c_shadow (bigint) for hits and the trigger that keeps both in step: ACCESS EXCLUSIVE on public.counters
ALTER TABLE "public"."counters" ADD COLUMN IF NOT EXISTS "hits_r2_324ec59c_shadow" bigint;
CREATE OR REPLACE FUNCTION "public"."public_counters_hits_r2_8fc2181b_sync"() RETURNS trigger LANGUAGE plpgsql AS $sync$
BEGIN
    -- Each release's view writes one of the two columns; the trigger fills the other.
    IF TG_OP = 'INSERT' THEN
        IF NEW."hits_r2_324ec59c_shadow" IS NULL THEN
            NEW."hits_r2_324ec59c_shadow" := NEW."hits"::bigint;
        ELSIF NEW."hits" IS NULL THEN
            NEW."hits" := NEW."hits_r2_324ec59c_shadow"::integer;
        END IF;
    ELSIF NEW."hits_r2_324ec59c_shadow" IS DISTINCT FROM OLD."hits_r2_324ec59c_shadow" AND NEW."hits" IS NOT DISTINCT FROM OLD."hits" THEN
        NEW."hits" := NEW."hits_r2_324ec59c_shadow"::integer;
    ELSIF NEW."hits" IS DISTINCT FROM OLD."hits" OR NEW."hits_r2_324ec59c_shadow" IS NULL THEN
        -- Written through the old release, or touched by the backfill.
        NEW."hits_r2_324ec59c_shadow" := NEW."hits"::bigint;
    END IF;
    RETURN NEW;
END
$sync$;
DROP TRIGGER IF EXISTS "public_counters_hits_r2_8fc2181b_sync" ON "public"."counters";
CREATE TRIGGER "public_counters_hits_r2_8fc2181b_sync" BEFORE INSERT OR UPDATE ON "public"."counters" FOR EACH ROW EXECUTE FUNCTION "public"."public_counters_hits_r2_8fc2181b_sync"();
