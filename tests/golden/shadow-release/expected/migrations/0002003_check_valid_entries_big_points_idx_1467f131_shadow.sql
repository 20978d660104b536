-- migrate: release 2, expand, file 3 of 11. Generated from the declared schema; do not edit.

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

-- C10 check that index entries_big_points_idx_1467f131_shadow on public.entries is valid (an interrupted concurrent build leaves it invalid): no table lock
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = to_regclass('"public"."entries_big_points_idx_1467f131_shadow"') AND NOT indisvalid) THEN
        RAISE EXCEPTION '%', 'index public.entries_big_points_idx_1467f131_shadow is invalid: a CREATE INDEX CONCURRENTLY was interrupted, and running it again keeps the invalid index; run these two statements, each on its own and outside a transaction: `DROP INDEX CONCURRENTLY IF EXISTS "public"."entries_big_points_idx_1467f131_shadow"; CREATE INDEX CONCURRENTLY IF NOT EXISTS "entries_big_points_idx_1467f131_shadow" ON "public"."entries" USING btree ((("points_r2_0ec55581_shadow" / 1000))) WHERE "points_r2_0ec55581_shadow" > 0;` Then run the migrations again';
    END IF;
END
$$;
