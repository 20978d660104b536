-- migrate: release 4, contract, file 3 of 5. Generated from the declared schema; do not edit.
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

-- C10 add constraint customers_loyalty_points_r4_8767d1ff_shadow_not_null to public.customers NOT VALID: ACCESS EXCLUSIVE on public.customers
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."customers"'::regclass AND attname = 'loyalty_points_r4_8767d1ff_shadow' AND NOT attisdropped) THEN
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."customers"'::regclass AND attname = 'loyalty_points_r4_8767d1ff_shadow' AND NOT attisdropped) THEN
            IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = '"public"."customers"'::regclass AND conname = 'customers_loyalty_points_r4_8767d1ff_shadow_not_null') THEN
                ALTER TABLE "public"."customers" ADD CONSTRAINT "customers_loyalty_points_r4_8767d1ff_shadow_not_null" CHECK ("loyalty_points_r4_8767d1ff_shadow" IS NOT NULL) NOT VALID;
            END IF;
        END IF;
    END IF;
END
$$;
