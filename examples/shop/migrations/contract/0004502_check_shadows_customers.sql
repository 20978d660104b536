-- migrate: release 4, contract, file 2 of 5. Generated from the declared schema; do not edit.

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

-- C10 check that the backfill filled every shadow column of public.customers: SHARE UPDATE EXCLUSIVE on public.customers
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."customers"'::regclass AND attname = 'loyalty_points_r4_8767d1ff_shadow' AND NOT attisdropped) THEN
        IF (SELECT count(*) FROM "public"."customers" WHERE ("loyalty_points_r4_8767d1ff_shadow" IS NULL AND "loyalty_points" IS NOT NULL)) > 0 THEN
            RAISE EXCEPTION 'public.customers has % row(s) not yet copied to the new column types: the backfill is not complete; run it before contract', (SELECT count(*) FROM "public"."customers" WHERE ("loyalty_points_r4_8767d1ff_shadow" IS NULL AND "loyalty_points" IS NOT NULL));
        END IF;
        COMMENT ON COLUMN "public"."customers"."loyalty_points_r4_8767d1ff_shadow" IS 'migrate: release 4 checked that the backfill filled this column';
    END IF;
END
$$;
