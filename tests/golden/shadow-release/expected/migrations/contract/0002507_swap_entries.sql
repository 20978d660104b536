-- migrate: release 2, contract, file 7 of 10. Generated from the declared schema; do not edit.
-- Timeouts hold for this file's transaction only; on a lock timeout, run it again.
SET LOCAL lock_timeout = '100ms';
SET LOCAL statement_timeout = '5000ms';

-- R9 every file checks that its phase has begun and is not over (run the files in order)
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE CASE WHEN nspname ~ '^release_[0-9]+$' THEN substr(nspname, 9)::numeric > 2 ELSE false END) OR (SELECT pg_catalog.obj_description(oid, 'pg_namespace') FROM pg_catalog.pg_namespace WHERE nspname = 'release_0002') IS NOT DISTINCT FROM 'migrate: the contract of release 2 is complete; release 3 is expanding' THEN
        RAISE EXCEPTION '%', 'release 2 contracted already and a later release has begun to expand since: running this contract file again would act on a newer schema; there is nothing to do';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0002') THEN
        RAISE EXCEPTION '%', 'release 2 cannot contract: its expand has not run to the end (schema release_0002 is missing); run expand, deploy, then contract';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0001') THEN
        RAISE EXCEPTION '%', 'release 2 has not begun to contract: its first contract file (0002501), which drops the views of release 1 (schema release_0001), has not run; run the contract files of release 2 in order';
    END IF;
END
$$;

-- C10 swap in the shadow columns of public.entries: points (integer → bigint), rank (smallint → integer), user_id (integer → bigint); drop the triggers and old columns, rename the shadows, restore their indexes and constraints: ACCESS EXCLUSIVE on public.entries, ACCESS EXCLUSIVE on public.users
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."entries"'::regclass AND attname = 'points_r2_0ec55581_shadow' AND NOT attisdropped) THEN
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = to_regclass('"public"."entries_big_points_idx_1467f131_shadow"') AND indisvalid) THEN
            RAISE EXCEPTION 'index entries_big_points_idx_1467f131_shadow (the copy of entries_big_points_idx on the new column types) is missing or invalid: drop it CONCURRENTLY and run expand again';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = to_regclass('"public"."entries_points_idx_430ebc25_shadow"') AND indisvalid) THEN
            RAISE EXCEPTION 'index entries_points_idx_430ebc25_shadow (the copy of entries_points_idx on the new column types) is missing or invalid: drop it CONCURRENTLY and run expand again';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = to_regclass('"public"."entries_user_points_idx_2283233c_shadow"') AND indisvalid) THEN
            RAISE EXCEPTION 'index entries_user_points_idx_2283233c_shadow (the copy of entries_user_points_idx on the new column types) is missing or invalid: drop it CONCURRENTLY and run expand again';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = to_regclass('"public"."entries_rank_key_7de5c65e_shadow"') AND indisvalid) THEN
            RAISE EXCEPTION 'index entries_rank_key_7de5c65e_shadow (the copy of entries_rank_key on the new column types) is missing or invalid: drop it CONCURRENTLY and run expand again';
        END IF;
        IF pg_catalog.col_description('"public"."entries"'::regclass, (SELECT attnum FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."entries"'::regclass AND attname = 'points_r2_0ec55581_shadow')) IS DISTINCT FROM 'migrate: release 2 checked that the backfill filled this column' THEN
            RAISE EXCEPTION 'the shadow column points_r2_0ec55581_shadow of public.entries has not passed the check that the backfill filled it (the check_shadows file of this contract); run the backfill, then that file, first';
        END IF;
        IF pg_catalog.col_description('"public"."entries"'::regclass, (SELECT attnum FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."entries"'::regclass AND attname = 'rank_r2_46e9c09a_shadow')) IS DISTINCT FROM 'migrate: release 2 checked that the backfill filled this column' THEN
            RAISE EXCEPTION 'the shadow column rank_r2_46e9c09a_shadow of public.entries has not passed the check that the backfill filled it (the check_shadows file of this contract); run the backfill, then that file, first';
        END IF;
        IF pg_catalog.col_description('"public"."entries"'::regclass, (SELECT attnum FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."entries"'::regclass AND attname = 'user_id_r2_e12e2ac3_shadow')) IS DISTINCT FROM 'migrate: release 2 checked that the backfill filled this column' THEN
            RAISE EXCEPTION 'the shadow column user_id_r2_e12e2ac3_shadow of public.entries has not passed the check that the backfill filled it (the check_shadows file of this contract); run the backfill, then that file, first';
        END IF;
        DROP TRIGGER IF EXISTS "public_entries_points_r2_d45cbae9_sync" ON "public"."entries";
        ALTER TABLE "public"."entries" DROP COLUMN IF EXISTS "points";
        ALTER TABLE "public"."entries" RENAME COLUMN "points_r2_0ec55581_shadow" TO "points";
        ALTER TABLE "public"."entries" ALTER COLUMN "points" SET NOT NULL;
        ALTER TABLE "public"."entries" DROP CONSTRAINT IF EXISTS "entries_points_r2_0ec55581_shadow_not_null";
        ALTER TABLE "public"."entries" ALTER COLUMN "points" SET DEFAULT 0;
        ALTER TABLE IF EXISTS "release_0002"."entries" ALTER COLUMN "points" DROP DEFAULT;
        DROP TRIGGER IF EXISTS "public_entries_rank_r2_f6eab10d_sync" ON "public"."entries";
        ALTER TABLE "public"."entries" DROP COLUMN IF EXISTS "rank";
        ALTER TABLE "public"."entries" RENAME COLUMN "rank_r2_46e9c09a_shadow" TO "rank";
        DROP TRIGGER IF EXISTS "public_entries_user_id_r2_4e0188b0_sync" ON "public"."entries";
        ALTER TABLE "public"."entries" DROP COLUMN IF EXISTS "user_id";
        ALTER TABLE "public"."entries" RENAME COLUMN "user_id_r2_e12e2ac3_shadow" TO "user_id";
        ALTER TABLE "public"."entries" ALTER COLUMN "user_id" SET NOT NULL;
        ALTER TABLE "public"."entries" DROP CONSTRAINT IF EXISTS "entries_user_id_r2_e12e2ac3_shadow_not_null";
        ALTER INDEX "public"."entries_big_points_idx_1467f131_shadow" RENAME TO "entries_big_points_idx";
        ALTER INDEX "public"."entries_points_idx_430ebc25_shadow" RENAME TO "entries_points_idx";
        ALTER INDEX "public"."entries_user_points_idx_2283233c_shadow" RENAME TO "entries_user_points_idx";
        ALTER TABLE "public"."entries" ADD CONSTRAINT "entries_rank_key" UNIQUE USING INDEX "entries_rank_key_7de5c65e_shadow";
        ALTER TABLE "public"."entries" ADD CONSTRAINT "entries_points_check" CHECK (points >= 0) NOT VALID;
        ALTER TABLE "public"."entries" ADD CONSTRAINT "entries_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "public"."users" ("id") NOT VALID;
        COMMENT ON COLUMN "public"."entries"."points" IS NULL;
        COMMENT ON COLUMN "public"."entries"."rank" IS NULL;
        COMMENT ON COLUMN "public"."entries"."user_id" IS NULL;
    END IF;
END
$$;
DROP FUNCTION IF EXISTS "public"."public_entries_points_r2_d45cbae9_sync"();
DROP FUNCTION IF EXISTS "public"."public_entries_rank_r2_f6eab10d_sync"();
DROP FUNCTION IF EXISTS "public"."public_entries_user_id_r2_4e0188b0_sync"();
