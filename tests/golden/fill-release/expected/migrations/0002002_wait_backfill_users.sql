-- migrate: release 2, expand, file 2 of 3. Generated from the declared schema; do not edit.

-- C6 wait for the backfill of public.users: fill the NULLs of public.users: handle with 'anonymous', token with gen_random_uuid(): no table lock
DO $$
BEGIN
    IF (SELECT count(*) FROM "public"."users" WHERE "nickname" IS NULL OR "token" IS NULL) > 0 THEN
        RAISE EXCEPTION 'public.users has % row(s) the backfill has not filled yet; run the backfill of release 2 (see its plan), then run expand again: the new release''s views wait for it', (SELECT count(*) FROM "public"."users" WHERE "nickname" IS NULL OR "token" IS NULL);
    END IF;
END
$$;
