-- migrate: release 4, contract, file 1 of 5. Generated from the declared schema; do not edit.

-- R9 check that the expand of release 4 ran and no later release has: no table lock
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE CASE WHEN nspname ~ '^release_[0-9]+$' THEN substr(nspname, 9)::numeric > 4 ELSE false END) OR (SELECT pg_catalog.obj_description(oid, 'pg_namespace') FROM pg_catalog.pg_namespace WHERE nspname = 'release_0004') IS NOT DISTINCT FROM 'migrate: the contract of release 4 is complete; release 5 is expanding' THEN
        RAISE EXCEPTION 'release 4 contracted already and a later release has begun to expand since: running this contract again would act on a newer schema; there is nothing to do';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0004') THEN
        RAISE EXCEPTION 'release 4 cannot contract: its expand has not run (schema release_0004 is missing); run expand, deploy, then contract';
    END IF;
END
$$;

-- R10 drop the views of release 3 (schema release_0003): its binary is gone: no table lock
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class v ON v.oid = d.refobjid JOIN pg_catalog.pg_namespace n ON n.oid = v.relnamespace WHERE d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype = 'n' AND n.nspname = 'release_0003' AND NOT (d.classid = 'pg_catalog.pg_rewrite'::regclass AND EXISTS (SELECT 1 FROM pg_catalog.pg_rewrite r WHERE r.oid = d.objid AND r.ev_class = d.refobjid))) THEN
        RAISE EXCEPTION 'the views of release 3 (schema release_0003) cannot be dropped: objects that migrate did not generate depend on them: %; point them at the views of a newer release, or drop them yourself, then run this again', (SELECT string_agg(DISTINCT pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid), ', ') FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class v ON v.oid = d.refobjid JOIN pg_catalog.pg_namespace n ON n.oid = v.relnamespace WHERE d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype = 'n' AND n.nspname = 'release_0003' AND NOT (d.classid = 'pg_catalog.pg_rewrite'::regclass AND EXISTS (SELECT 1 FROM pg_catalog.pg_rewrite r WHERE r.oid = d.objid AND r.ev_class = d.refobjid)));
    END IF;
END
$$;
DROP VIEW IF EXISTS "release_0003"."customers";
DROP VIEW IF EXISTS "release_0003"."order_items";
DROP VIEW IF EXISTS "release_0003"."orders";
DROP VIEW IF EXISTS "release_0003"."products";
DROP SCHEMA IF EXISTS "release_0003";
