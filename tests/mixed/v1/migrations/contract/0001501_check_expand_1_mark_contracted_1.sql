-- migrate: release 1, contract, file 1 of 1. Generated from the declared schema; do not edit.

-- R9 check that the expand of release 1 ran and no later release has: no table lock
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE CASE WHEN nspname ~ '^release_[0-9]+$' THEN substr(nspname, 9)::numeric > 1 ELSE false END) OR (SELECT pg_catalog.obj_description(oid, 'pg_namespace') FROM pg_catalog.pg_namespace WHERE nspname = 'release_0001') IS NOT DISTINCT FROM 'migrate: the contract of release 1 is complete; release 2 is expanding' THEN
        RAISE EXCEPTION 'release 1 contracted already and a later release has begun to expand since: running this contract again would act on a newer schema; there is nothing to do';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0001') THEN
        RAISE EXCEPTION 'release 1 cannot contract: its expand has not run (schema release_0001 is missing); run expand, deploy, then contract';
    END IF;
END
$$;

-- R9 mark the contract of release 1 complete (the next release's expand waits for it): no table lock
COMMENT ON SCHEMA "release_0001" IS 'migrate: the contract of release 1 is complete';
