-- migrate: release 2, contract, file 2 of 10. Generated from the declared schema; do not edit.

-- C6 check that public.users.handle holds no NULL: no table lock
DO $$
BEGIN
    IF (SELECT count(*) FROM "public"."users" WHERE "handle" IS NULL) > 0 THEN
        RAISE EXCEPTION 'public.users.handle still has % NULL row(s): the backfill is not complete; run it before contract', (SELECT count(*) FROM "public"."users" WHERE "handle" IS NULL);
    END IF;
END
$$;
