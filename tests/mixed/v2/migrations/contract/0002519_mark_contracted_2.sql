-- migrate: release 2, contract, file 19 of 19. Generated from the declared schema; do not edit.

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

-- R9 mark the contract of release 2 complete (the next release's expand waits for it): no table lock
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM (VALUES ('"public"."counters"', 'id', 'bigint', true), ('"public"."counters"', 'hits', 'bigint', true), ('"public"."items"', 'id', 'bigint', true), ('"public"."items"', 'sku', 'text', true), ('"public"."notes"', 'id', 'bigint', true), ('"public"."notes"', 'body', 'text', true), ('"public"."notes"', 'remark', 'text', false), ('"public"."posts"', 'id', 'bigint', true), ('"public"."posts"', 'title', 'text', true), ('"public"."posts"', 'slug', 'text', true), ('"public"."profiles"', 'id', 'bigint', true), ('"public"."profiles"', 'name', 'text', true), ('"public"."widgets"', 'id', 'bigint', true), ('"public"."widgets"', 'label', 'text', true)) AS expected(tbl, col, ty, not_null) WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = to_regclass(expected.tbl) AND a.attname = expected.col AND NOT a.attisdropped AND (a.attnotnull OR NOT expected.not_null) AND (expected.ty IS NULL OR pg_catalog.to_regtype(expected.ty) IS NULL OR a.atttypid = pg_catalog.to_regtype(expected.ty)))) THEN
        RAISE EXCEPTION 'the contract of release 2 is not complete: a column is missing, not yet NOT NULL or not yet of its new type (a contract file before this one refused); run the contract files in order, then this one';
    END IF;
END
$$;
COMMENT ON SCHEMA "release_0002" IS 'migrate: the contract of release 2 is complete';
