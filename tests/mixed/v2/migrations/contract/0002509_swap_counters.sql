-- migrate: release 2, contract, file 9 of 19. Generated from the declared schema; do not edit.
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

-- C10 swap in the shadow columns of public.counters: hits (integer → bigint); drop the triggers and old columns, rename the shadows, restore their indexes and constraints: ACCESS EXCLUSIVE on public.counters
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."counters"'::regclass AND attname = 'hits_r2_324ec59c_shadow' AND NOT attisdropped) THEN
        IF pg_catalog.col_description('"public"."counters"'::regclass, (SELECT attnum FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."counters"'::regclass AND attname = 'hits_r2_324ec59c_shadow')) IS DISTINCT FROM 'migrate: release 2 checked that the backfill filled this column' THEN
            RAISE EXCEPTION 'the shadow column hits_r2_324ec59c_shadow of public.counters has not passed the check that the backfill filled it (the check_shadows file of this contract); run the backfill, then that file, first';
        END IF;
        DROP TRIGGER IF EXISTS "public_counters_hits_r2_8fc2181b_sync" ON "public"."counters";
        ALTER TABLE "public"."counters" DROP COLUMN IF EXISTS "hits";
        ALTER TABLE "public"."counters" RENAME COLUMN "hits_r2_324ec59c_shadow" TO "hits";
        ALTER TABLE "public"."counters" ALTER COLUMN "hits" SET NOT NULL;
        ALTER TABLE "public"."counters" DROP CONSTRAINT IF EXISTS "counters_hits_r2_324ec59c_shadow_not_null";
        COMMENT ON COLUMN "public"."counters"."hits" IS NULL;
    END IF;
END
$$;
DROP FUNCTION IF EXISTS "public"."public_counters_hits_r2_8fc2181b_sync"();
