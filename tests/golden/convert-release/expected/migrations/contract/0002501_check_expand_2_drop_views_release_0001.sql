-- migrate: release 2, contract, file 1 of 3. Generated from the declared schema; do not edit.

-- R9 check that the expand of release 2 ran: no table lock
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0002') THEN
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0003') THEN
            RAISE EXCEPTION 'release 2 contracted already and release 3 since (schema release_0002 is gone): running this contract again would act on a newer schema; there is nothing to do';
        END IF;
        RAISE EXCEPTION 'release 2 cannot contract: its expand has not run (schema release_0002 is missing); run expand, deploy, then contract';
    END IF;
END
$$;

-- R10 drop the views of release 1 (schema release_0001): its binary is gone: no table lock
DROP SCHEMA IF EXISTS "release_0001" CASCADE;
