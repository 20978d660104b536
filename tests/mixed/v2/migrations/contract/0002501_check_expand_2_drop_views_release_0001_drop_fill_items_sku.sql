-- migrate: release 2, contract, file 1 of 19. Generated from the declared schema; do not edit.
-- Timeouts hold for this file's transaction only; on a lock timeout, run it again.
SET LOCAL lock_timeout = '100ms';
SET LOCAL statement_timeout = '5000ms';

-- R9 check that the expand of release 2 ran and no later release has: no table lock
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE CASE WHEN nspname ~ '^release_[0-9]+$' THEN substr(nspname, 9)::numeric > 2 ELSE false END) OR (SELECT pg_catalog.obj_description(oid, 'pg_namespace') FROM pg_catalog.pg_namespace WHERE nspname = 'release_0002') IS NOT DISTINCT FROM 'migrate: the contract of release 2 is complete; release 3 is expanding' THEN
        RAISE EXCEPTION 'release 2 contracted already and a later release has begun to expand since: running this contract again would act on a newer schema; there is nothing to do';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0002') THEN
        RAISE EXCEPTION 'release 2 cannot contract: its expand has not run (schema release_0002 is missing); run expand, deploy, then contract';
    END IF;
END
$$;

-- R10 drop the views of release 1 (schema release_0001): its binary is gone: no table lock
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class v ON v.oid = d.refobjid JOIN pg_catalog.pg_namespace n ON n.oid = v.relnamespace WHERE d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype = 'n' AND n.nspname = 'release_0001' AND NOT (d.classid = 'pg_catalog.pg_rewrite'::regclass AND EXISTS (SELECT 1 FROM pg_catalog.pg_rewrite r WHERE r.oid = d.objid AND r.ev_class = d.refobjid))) THEN
        RAISE EXCEPTION 'the views of release 1 (schema release_0001) cannot be dropped: objects that migrate did not generate depend on them: %; point them at the views of a newer release, or drop them yourself, then run this again', (SELECT string_agg(DISTINCT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), ', ') FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class v ON v.oid = d.refobjid JOIN pg_catalog.pg_namespace n ON n.oid = v.relnamespace WHERE d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype = 'n' AND n.nspname = 'release_0001' AND NOT (d.classid = 'pg_catalog.pg_rewrite'::regclass AND EXISTS (SELECT 1 FROM pg_catalog.pg_rewrite r WHERE r.oid = d.objid AND r.ev_class = d.refobjid)));
    END IF;
END
$$;
DROP VIEW IF EXISTS "release_0001"."counters";
DROP VIEW IF EXISTS "release_0001"."gadgets";
DROP VIEW IF EXISTS "release_0001"."items";
DROP VIEW IF EXISTS "release_0001"."members";
DROP VIEW IF EXISTS "release_0001"."memberships";
DROP VIEW IF EXISTS "release_0001"."notes";
DROP VIEW IF EXISTS "release_0001"."posts";
DROP VIEW IF EXISTS "release_0001"."profiles";
DROP VIEW IF EXISTS "release_0001"."tickets";
DROP SCHEMA IF EXISTS "release_0001";

-- C6 drop the trigger that filled NULLs written into public.items.sku (the binary that wrote them is gone): ACCESS EXCLUSIVE on public.items
DROP TRIGGER IF EXISTS "public_items_sku_r2_f17d95f7_fill" ON "public"."items";
DROP FUNCTION IF EXISTS "public"."public_items_sku_r2_f17d95f7_fill"();
