-- migrate: release 2, contract, file 6 of 10. Generated from the declared schema; do not edit.

-- C6 check that public.users.token holds no NULL: no table lock
DO $$
BEGIN
    IF (SELECT count(*) FROM "public"."users" WHERE "token" IS NULL) > 0 THEN
        RAISE EXCEPTION 'public.users.token still has % NULL row(s): the backfill is not complete; run it before contract', (SELECT count(*) FROM "public"."users" WHERE "token" IS NULL);
    END IF;
END
$$;
