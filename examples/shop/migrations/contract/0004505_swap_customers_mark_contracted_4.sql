-- migrate: release 4, contract, file 5 of 5. Generated from the declared schema; do not edit.
-- Timeouts hold for this file's transaction only; on a lock timeout, run it again.
SET LOCAL lock_timeout = '100ms';
SET LOCAL statement_timeout = '5000ms';

-- R9 every file checks that its phase has begun and is not over (run the files in order)
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE CASE WHEN nspname ~ '^release_[0-9]+$' THEN substr(nspname, 9)::numeric > 4 ELSE false END) OR (SELECT pg_catalog.obj_description(oid, 'pg_namespace') FROM pg_catalog.pg_namespace WHERE nspname = 'release_0004') IS NOT DISTINCT FROM 'migrate: the contract of release 4 is complete; release 5 is expanding' THEN
        RAISE EXCEPTION '%', 'release 4 contracted already and a later release has begun to expand since: running this contract file again would act on a newer schema; there is nothing to do';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0004') THEN
        RAISE EXCEPTION '%', 'release 4 cannot contract: its expand has not run to the end (schema release_0004 is missing); run expand, deploy, then contract';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0003') THEN
        RAISE EXCEPTION '%', 'release 4 has not begun to contract: its first contract file (0004501), which drops the views of release 3 (schema release_0003), has not run; run the contract files of release 4 in order';
    END IF;
END
$$;

-- C10 swap in the shadow columns of public.customers: loyalty_points (integer → bigint); drop the triggers and old columns, rename the shadows, restore their indexes and constraints: ACCESS EXCLUSIVE on public.customers
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."customers"'::regclass AND attname = 'loyalty_points_r4_8767d1ff_shadow' AND NOT attisdropped) THEN
        IF pg_catalog.col_description('"public"."customers"'::regclass, (SELECT attnum FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."customers"'::regclass AND attname = 'loyalty_points_r4_8767d1ff_shadow')) IS DISTINCT FROM 'migrate: release 4 checked that the backfill filled this column' THEN
            RAISE EXCEPTION 'the shadow column loyalty_points_r4_8767d1ff_shadow of public.customers has not passed the check that the backfill filled it (the check_shadows file of this contract); run the backfill, then that file, first';
        END IF;
        DROP TRIGGER IF EXISTS "public_customers_loyalty_points_r4_06e7c92c_sync" ON "public"."customers";
        ALTER TABLE "public"."customers" DROP COLUMN IF EXISTS "loyalty_points";
        ALTER TABLE "public"."customers" RENAME COLUMN "loyalty_points_r4_8767d1ff_shadow" TO "loyalty_points";
        ALTER TABLE "public"."customers" ALTER COLUMN "loyalty_points" SET NOT NULL;
        ALTER TABLE "public"."customers" DROP CONSTRAINT IF EXISTS "customers_loyalty_points_r4_8767d1ff_shadow_not_null";
        ALTER TABLE "public"."customers" ALTER COLUMN "loyalty_points" SET DEFAULT 0;
        ALTER TABLE IF EXISTS "release_0004"."customers" ALTER COLUMN "loyalty_points" DROP DEFAULT;
        COMMENT ON COLUMN "public"."customers"."loyalty_points" IS NULL;
    END IF;
END
$$;
DROP FUNCTION IF EXISTS "public"."public_customers_loyalty_points_r4_06e7c92c_sync"();

-- R9 mark the contract of release 4 complete (the next release's expand waits for it): no table lock
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM (VALUES ('"public"."customers"', 'id', 'bigint', true), ('"public"."customers"', 'email', 'character varying(320)', true), ('"public"."customers"', 'display_name', 'text', true), ('"public"."customers"', 'created_at', 'timestamp with time zone', true), ('"public"."customers"', 'phone', 'text', false), ('"public"."customers"', 'loyalty_points', 'bigint', true)) AS expected(tbl, col, ty, not_null) WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = to_regclass(expected.tbl) AND a.attname = expected.col AND NOT a.attisdropped AND (a.attnotnull OR NOT expected.not_null) AND (expected.ty IS NULL OR pg_catalog.to_regtype(expected.ty) IS NULL OR a.atttypid = pg_catalog.to_regtype(expected.ty)))) THEN
        RAISE EXCEPTION 'the contract of release 4 is not complete: a column is missing, not yet NOT NULL or not yet of its new type (a contract file before this one refused); run the contract files in order, then this one';
    END IF;
END
$$;
COMMENT ON SCHEMA "release_0004" IS 'migrate: the contract of release 4 is complete';
