-- migrate: release 4, expand, file 1 of 4. Generated from the declared schema; do not edit.
-- Timeouts hold for this file's transaction only; on a lock timeout, run it again.
SET LOCAL lock_timeout = '100ms';
SET LOCAL statement_timeout = '5000ms';

-- R9 check that the contract of release 3 ran and that release 4 is not contracting: no table lock
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE CASE WHEN nspname ~ '^release_[0-9]+$' THEN substr(nspname, 9)::numeric > 4 ELSE false END) THEN
        RAISE EXCEPTION 'release 4 cannot expand: a later release has expanded since; there is nothing to do';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0003') THEN
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0004') THEN
            RAISE EXCEPTION 'release 4 is contracting or has contracted (schema release_0003 is gone): its expand has nothing left to do, and running it again would undo contract work';
        END IF;
        RAISE EXCEPTION 'release 4 cannot expand: release 3 has not expanded (schema release_0003 is missing); run the releases in order';
    END IF;
    IF (SELECT pg_catalog.obj_description(oid, 'pg_namespace') FROM pg_catalog.pg_namespace WHERE nspname = 'release_0003') NOT IN ('migrate: the contract of release 3 is complete', 'migrate: the contract of release 3 is complete; release 4 is expanding') IS NOT FALSE THEN
        RAISE EXCEPTION 'release 4 cannot expand: the contract of release 3 has not completed (schema release_0003 carries no completion mark); run it to the end (every step re-runs safely) once the binaries of release 2 are gone';
    END IF;
    COMMENT ON SCHEMA "release_0003" IS 'migrate: the contract of release 3 is complete; release 4 is expanding';
END
$$;

-- C10 add shadow column public.customers.loyalty_points_r4_8767d1ff_shadow (bigint) for loyalty_points and the trigger that keeps both in step: ACCESS EXCLUSIVE on public.customers
ALTER TABLE "public"."customers" ADD COLUMN IF NOT EXISTS "loyalty_points_r4_8767d1ff_shadow" bigint;
CREATE OR REPLACE FUNCTION "public"."public_customers_loyalty_points_r4_06e7c92c_sync"() RETURNS trigger LANGUAGE plpgsql AS $sync$
BEGIN
    -- Each release's view writes one of the two columns; the trigger fills the other.
    IF TG_OP = 'INSERT' THEN
        IF NEW."loyalty_points_r4_8767d1ff_shadow" IS NULL THEN
            NEW."loyalty_points_r4_8767d1ff_shadow" := NEW."loyalty_points"::bigint;
        ELSIF NEW."loyalty_points" IS NULL THEN
            NEW."loyalty_points" := NEW."loyalty_points_r4_8767d1ff_shadow"::integer;
        END IF;
    ELSIF NEW."loyalty_points_r4_8767d1ff_shadow" IS DISTINCT FROM OLD."loyalty_points_r4_8767d1ff_shadow" AND NEW."loyalty_points" IS NOT DISTINCT FROM OLD."loyalty_points" THEN
        NEW."loyalty_points" := NEW."loyalty_points_r4_8767d1ff_shadow"::integer;
    ELSIF NEW."loyalty_points" IS DISTINCT FROM OLD."loyalty_points" OR NEW."loyalty_points_r4_8767d1ff_shadow" IS NULL THEN
        -- Written through the old release, or touched by the backfill.
        NEW."loyalty_points_r4_8767d1ff_shadow" := NEW."loyalty_points"::bigint;
    END IF;
    RETURN NEW;
END
$sync$;
DROP TRIGGER IF EXISTS "public_customers_loyalty_points_r4_06e7c92c_sync" ON "public"."customers";
CREATE TRIGGER "public_customers_loyalty_points_r4_06e7c92c_sync" BEFORE INSERT OR UPDATE ON "public"."customers" FOR EACH ROW EXECUTE FUNCTION "public"."public_customers_loyalty_points_r4_06e7c92c_sync"();
ALTER TABLE "public"."customers" ALTER COLUMN "loyalty_points" DROP DEFAULT;
ALTER TABLE "release_0003"."customers" ALTER COLUMN "loyalty_points" SET DEFAULT 0;
