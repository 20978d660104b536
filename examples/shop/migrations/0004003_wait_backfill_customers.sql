-- migrate: release 4, expand, file 3 of 4. Generated from the declared schema; do not edit.

-- R9 every file checks that its phase has begun and is not over (run the files in order)
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE CASE WHEN nspname ~ '^release_[0-9]+$' THEN substr(nspname, 9)::numeric > 4 ELSE false END) THEN
        RAISE EXCEPTION '%', 'release 4 cannot expand: a later release has expanded since; there is nothing to do';
    END IF;
    IF (SELECT pg_catalog.obj_description(oid, 'pg_namespace') FROM pg_catalog.pg_namespace WHERE nspname = 'release_0003') IS DISTINCT FROM 'migrate: the contract of release 3 is complete; release 4 is expanding' THEN
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0003') AND EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0004') THEN
            RAISE EXCEPTION '%', 'release 4 is contracting or has contracted (schema release_0003 is gone): its expand has nothing left to do, and running it again would undo contract work';
        END IF;
        RAISE EXCEPTION '%', 'release 4 has not begun to expand: its first expand file (0004001), which checks that the contract of release 3 is complete, has not run or refused; run the expand files of release 4 in order';
    END IF;
END
$$;

-- C10 wait for the backfill of public.customers: copy public.customers.loyalty_points (bigint) into shadow columns (the triggers convert each touched row): no table lock
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."customers"'::regclass AND attname = 'loyalty_points_r4_8767d1ff_shadow' AND NOT attisdropped) THEN
        IF (SELECT count(*) FROM "public"."customers" WHERE ("loyalty_points_r4_8767d1ff_shadow" IS NULL AND "loyalty_points" IS NOT NULL)) > 0 THEN
            RAISE EXCEPTION 'public.customers has % row(s) the backfill has not filled yet; run the backfill of release 4 (see its plan), then run expand again: the new release''s views wait for it', (SELECT count(*) FROM "public"."customers" WHERE ("loyalty_points_r4_8767d1ff_shadow" IS NULL AND "loyalty_points" IS NOT NULL));
        END IF;
    END IF;
END
$$;
