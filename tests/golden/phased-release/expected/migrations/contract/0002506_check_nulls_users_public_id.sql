-- migrate: release 2, contract, file 6 of 12. Generated from the declared schema; do not edit.

-- C3 check that public.users.public_id holds no NULL: no table lock
DO $$
BEGIN
    IF (SELECT count(*) FROM "public"."users" WHERE "public_id" IS NULL) > 0 THEN
        RAISE EXCEPTION 'public.users.public_id still has % NULL row(s): the backfill is not complete; run it before contract', (SELECT count(*) FROM "public"."users" WHERE "public_id" IS NULL);
    END IF;
END
$$;
