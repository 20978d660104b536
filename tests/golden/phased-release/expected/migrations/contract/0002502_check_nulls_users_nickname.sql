-- migrate: release 2, contract, file 2 of 12. Generated from the declared schema; do not edit.

-- C6 check that public.users.nickname holds no NULL: no table lock
DO $$
BEGIN
    IF (SELECT count(*) FROM "public"."users" WHERE "nickname" IS NULL) > 0 THEN
        RAISE EXCEPTION 'public.users.nickname still has % NULL row(s): fill them before contract makes the column NOT NULL', (SELECT count(*) FROM "public"."users" WHERE "nickname" IS NULL);
    END IF;
END
$$;
