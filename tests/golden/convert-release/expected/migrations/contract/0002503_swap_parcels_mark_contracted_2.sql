-- migrate: release 2, contract, file 3 of 3. Generated from the declared schema; do not edit.
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

-- C10 swap in the shadow columns of public.parcels: weight (text → integer); drop the triggers and old columns, rename the shadows, restore their indexes and constraints: ACCESS EXCLUSIVE on public.parcels
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."parcels"'::regclass AND attname = 'weight_r2_a7a0625c_shadow' AND NOT attisdropped) THEN
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = to_regclass('"public"."parcels_weight_idx_7891b364_shadow"') AND indisvalid) THEN
            RAISE EXCEPTION 'index parcels_weight_idx_7891b364_shadow (the copy of parcels_weight_idx on the new column types) is missing or invalid: drop it CONCURRENTLY and run expand again';
        END IF;
        IF pg_catalog.col_description('"public"."parcels"'::regclass, (SELECT attnum FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."parcels"'::regclass AND attname = 'weight_r2_a7a0625c_shadow')) IS DISTINCT FROM 'migrate: release 2 checked that the backfill filled this column' THEN
            RAISE EXCEPTION 'the shadow column weight_r2_a7a0625c_shadow of public.parcels has not passed the check that the backfill filled it (the check_shadows file of this contract); run the backfill, then that file, first';
        END IF;
        DROP TRIGGER IF EXISTS "public_parcels_weight_r2_4f6db805_sync" ON "public"."parcels";
        ALTER TABLE "public"."parcels" DROP COLUMN IF EXISTS "weight";
        ALTER TABLE "public"."parcels" RENAME COLUMN "weight_r2_a7a0625c_shadow" TO "weight";
        ALTER TABLE "public"."parcels" ALTER COLUMN "weight" SET DEFAULT 0;
        ALTER TABLE IF EXISTS "release_0002"."parcels" ALTER COLUMN "weight" DROP DEFAULT;
        ALTER INDEX "public"."parcels_weight_idx_7891b364_shadow" RENAME TO "parcels_weight_idx";
        COMMENT ON COLUMN "public"."parcels"."weight" IS NULL;
    END IF;
END
$$;
DROP FUNCTION IF EXISTS "public"."public_parcels_weight_r2_4f6db805_sync"();

-- R9 mark the contract of release 2 complete (the next release's expand waits for it): no table lock
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM (VALUES ('"public"."parcels"', 'id', 'bigint', true), ('"public"."parcels"', 'label', 'text', true), ('"public"."parcels"', 'weight', 'integer', false)) AS expected(tbl, col, ty, not_null) WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = to_regclass(expected.tbl) AND a.attname = expected.col AND NOT a.attisdropped AND (a.attnotnull OR NOT expected.not_null) AND (expected.ty IS NULL OR pg_catalog.to_regtype(expected.ty) IS NULL OR a.atttypid = pg_catalog.to_regtype(expected.ty)))) THEN
        RAISE EXCEPTION 'the contract of release 2 is not complete: a column is missing, not yet NOT NULL or not yet of its new type (a contract file before this one refused); run the contract files in order, then this one';
    END IF;
END
$$;
COMMENT ON SCHEMA "release_0002" IS 'migrate: the contract of release 2 is complete';
