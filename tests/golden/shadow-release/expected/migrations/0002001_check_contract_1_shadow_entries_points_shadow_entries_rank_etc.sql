-- migrate: release 2, expand, file 1 of 11. Generated from the declared schema; do not edit.
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

-- C10 add shadow column public.entries.points_r2_0ec55581_shadow (bigint) for points and the trigger that keeps both in step: ACCESS EXCLUSIVE on public.entries
ALTER TABLE "public"."entries" ADD COLUMN IF NOT EXISTS "points_r2_0ec55581_shadow" bigint;
CREATE OR REPLACE FUNCTION "public"."public_entries_points_r2_d45cbae9_sync"() RETURNS trigger LANGUAGE plpgsql AS $sync$
BEGIN
    -- Each release's view writes one of the two columns; the trigger fills the other.
    IF TG_OP = 'INSERT' THEN
        IF NEW."points_r2_0ec55581_shadow" IS NULL THEN
            NEW."points_r2_0ec55581_shadow" := NEW."points"::bigint;
        ELSIF NEW."points" IS NULL THEN
            NEW."points" := NEW."points_r2_0ec55581_shadow"::integer;
        END IF;
    ELSIF NEW."points_r2_0ec55581_shadow" IS DISTINCT FROM OLD."points_r2_0ec55581_shadow" AND NEW."points" IS NOT DISTINCT FROM OLD."points" THEN
        NEW."points" := NEW."points_r2_0ec55581_shadow"::integer;
    ELSIF NEW."points" IS DISTINCT FROM OLD."points" OR NEW."points_r2_0ec55581_shadow" IS NULL THEN
        -- Written through the old release, or touched by the backfill.
        NEW."points_r2_0ec55581_shadow" := NEW."points"::bigint;
    END IF;
    RETURN NEW;
END
$sync$;
DROP TRIGGER IF EXISTS "public_entries_points_r2_d45cbae9_sync" ON "public"."entries";
CREATE TRIGGER "public_entries_points_r2_d45cbae9_sync" BEFORE INSERT OR UPDATE ON "public"."entries" FOR EACH ROW EXECUTE FUNCTION "public"."public_entries_points_r2_d45cbae9_sync"();
ALTER TABLE "public"."entries" ALTER COLUMN "points" DROP DEFAULT;
ALTER TABLE "release_0001"."entries" ALTER COLUMN "points" SET DEFAULT 0;

-- C10 add shadow column public.entries.rank_r2_46e9c09a_shadow (integer) for rank and the trigger that keeps both in step: ACCESS EXCLUSIVE on public.entries
ALTER TABLE "public"."entries" ADD COLUMN IF NOT EXISTS "rank_r2_46e9c09a_shadow" integer;
CREATE OR REPLACE FUNCTION "public"."public_entries_rank_r2_f6eab10d_sync"() RETURNS trigger LANGUAGE plpgsql AS $sync$
BEGIN
    -- Each release's view writes one of the two columns; the trigger fills the other.
    IF TG_OP = 'INSERT' THEN
        IF NEW."rank_r2_46e9c09a_shadow" IS NULL THEN
            NEW."rank_r2_46e9c09a_shadow" := NEW."rank"::integer;
        ELSIF NEW."rank" IS NULL THEN
            NEW."rank" := NEW."rank_r2_46e9c09a_shadow"::smallint;
        END IF;
    ELSIF NEW."rank_r2_46e9c09a_shadow" IS DISTINCT FROM OLD."rank_r2_46e9c09a_shadow" AND NEW."rank" IS NOT DISTINCT FROM OLD."rank" THEN
        NEW."rank" := NEW."rank_r2_46e9c09a_shadow"::smallint;
    ELSIF NEW."rank" IS DISTINCT FROM OLD."rank" OR NEW."rank_r2_46e9c09a_shadow" IS NULL THEN
        -- Written through the old release, or touched by the backfill.
        NEW."rank_r2_46e9c09a_shadow" := NEW."rank"::integer;
    END IF;
    RETURN NEW;
END
$sync$;
DROP TRIGGER IF EXISTS "public_entries_rank_r2_f6eab10d_sync" ON "public"."entries";
CREATE TRIGGER "public_entries_rank_r2_f6eab10d_sync" BEFORE INSERT OR UPDATE ON "public"."entries" FOR EACH ROW EXECUTE FUNCTION "public"."public_entries_rank_r2_f6eab10d_sync"();

-- C10 add shadow column public.entries.user_id_r2_e12e2ac3_shadow (bigint) for user_id and the trigger that keeps both in step: ACCESS EXCLUSIVE on public.entries
ALTER TABLE "public"."entries" ADD COLUMN IF NOT EXISTS "user_id_r2_e12e2ac3_shadow" bigint;
CREATE OR REPLACE FUNCTION "public"."public_entries_user_id_r2_4e0188b0_sync"() RETURNS trigger LANGUAGE plpgsql AS $sync$
BEGIN
    -- Each release's view writes one of the two columns; the trigger fills the other.
    IF TG_OP = 'INSERT' THEN
        IF NEW."user_id_r2_e12e2ac3_shadow" IS NULL THEN
            NEW."user_id_r2_e12e2ac3_shadow" := NEW."user_id"::bigint;
        ELSIF NEW."user_id" IS NULL THEN
            NEW."user_id" := NEW."user_id_r2_e12e2ac3_shadow"::integer;
        END IF;
    ELSIF NEW."user_id_r2_e12e2ac3_shadow" IS DISTINCT FROM OLD."user_id_r2_e12e2ac3_shadow" AND NEW."user_id" IS NOT DISTINCT FROM OLD."user_id" THEN
        NEW."user_id" := NEW."user_id_r2_e12e2ac3_shadow"::integer;
    ELSIF NEW."user_id" IS DISTINCT FROM OLD."user_id" OR NEW."user_id_r2_e12e2ac3_shadow" IS NULL THEN
        -- Written through the old release, or touched by the backfill.
        NEW."user_id_r2_e12e2ac3_shadow" := NEW."user_id"::bigint;
    END IF;
    RETURN NEW;
END
$sync$;
DROP TRIGGER IF EXISTS "public_entries_user_id_r2_4e0188b0_sync" ON "public"."entries";
CREATE TRIGGER "public_entries_user_id_r2_4e0188b0_sync" BEFORE INSERT OR UPDATE ON "public"."entries" FOR EACH ROW EXECUTE FUNCTION "public"."public_entries_user_id_r2_4e0188b0_sync"();
