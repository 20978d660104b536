-- migrate: release 2, expand, file 6 of 7. Generated from the declared schema; do not edit.

-- R9 every file checks that its phase has begun and is not over (run the files in order)
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE CASE WHEN nspname ~ '^release_[0-9]+$' THEN substr(nspname, 9)::numeric > 2 ELSE false END) THEN
        RAISE EXCEPTION '%', 'release 2 cannot expand: a later release has expanded since; there is nothing to do';
    END IF;
    IF (SELECT pg_catalog.obj_description(oid, 'pg_namespace') FROM pg_catalog.pg_namespace WHERE nspname = 'release_0001') IS DISTINCT FROM 'migrate: the contract of release 1 is complete; release 2 is expanding' THEN
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0001') AND EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0002') THEN
            RAISE EXCEPTION '%', 'release 2 is contracting or has contracted (schema release_0001 is gone): its expand has nothing left to do, and running it again would undo contract work';
        END IF;
        RAISE EXCEPTION '%', 'release 2 has not begun to expand: its first expand file (0002001), which checks that the contract of release 1 is complete, has not run or refused; run the expand files of release 2 in order';
    END IF;
END
$$;

-- C6 wait for the backfill of public.items: fill the NULLs of public.items: sku with 'none': no table lock
DO $$
BEGIN
    IF (SELECT count(*) FROM "public"."items" WHERE "sku" IS NULL) > 0 THEN
        RAISE EXCEPTION 'public.items has % row(s) the backfill has not filled yet; run the backfill of release 2 (see its plan), then run expand again: the new release''s views wait for it', (SELECT count(*) FROM "public"."items" WHERE "sku" IS NULL);
    END IF;
END
$$;
