-- migrate: release 1, contract, file 1 of 1. Generated from the declared schema; do not edit.

-- R9 check that the expand of release 1 ran: no table lock
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0001') THEN
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0002') THEN
            RAISE EXCEPTION 'release 1 contracted already and release 2 since (schema release_0001 is gone): running this contract again would act on a newer schema; there is nothing to do';
        END IF;
        RAISE EXCEPTION 'release 1 cannot contract: its expand has not run (schema release_0001 is missing); run expand, deploy, then contract';
    END IF;
END
$$;

-- R9 mark the contract of release 1 complete (the next release's expand waits for it): no table lock
COMMENT ON SCHEMA "release_0001" IS 'migrate: the contract of release 1 is complete';
