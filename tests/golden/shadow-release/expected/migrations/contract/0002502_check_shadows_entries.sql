-- migrate: release 2, contract, file 2 of 10. Generated from the declared schema; do not edit.

-- C10 check that the backfill filled every shadow column of public.entries: no table lock
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."entries"'::regclass AND attname = 'points_r2_0ec55581_shadow' AND NOT attisdropped) THEN
        IF (SELECT count(*) FROM "public"."entries" WHERE ("points_r2_0ec55581_shadow" IS NULL AND "points" IS NOT NULL) OR ("rank_r2_46e9c09a_shadow" IS NULL AND "rank" IS NOT NULL) OR ("user_id_r2_e12e2ac3_shadow" IS NULL AND "user_id" IS NOT NULL)) > 0 THEN
            RAISE EXCEPTION 'public.entries has % row(s) not yet copied to the new column types: the backfill is not complete; run it before contract', (SELECT count(*) FROM "public"."entries" WHERE ("points_r2_0ec55581_shadow" IS NULL AND "points" IS NOT NULL) OR ("rank_r2_46e9c09a_shadow" IS NULL AND "rank" IS NOT NULL) OR ("user_id_r2_e12e2ac3_shadow" IS NULL AND "user_id" IS NOT NULL));
        END IF;
    END IF;
END
$$;
