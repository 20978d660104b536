-- migrate: release 2, expand, file 6 of 7. Generated from the declared schema; do not edit.

-- C10 wait for the backfill of public.entries: copy public.entries.points (bigint), rank (integer), user_id (bigint) into shadow columns (the triggers convert each touched row): no table lock
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."entries"'::regclass AND attname = 'points_r2_0ec55581_shadow' AND NOT attisdropped) THEN
        IF (SELECT count(*) FROM "public"."entries" WHERE ("points_r2_0ec55581_shadow" IS NULL AND "points" IS NOT NULL) OR ("rank_r2_46e9c09a_shadow" IS NULL AND "rank" IS NOT NULL) OR ("user_id_r2_e12e2ac3_shadow" IS NULL AND "user_id" IS NOT NULL)) > 0 THEN
            RAISE EXCEPTION 'public.entries has % row(s) the backfill has not filled yet; run the backfill of release 2 (see its plan), then run expand again: the new release''s views wait for it', (SELECT count(*) FROM "public"."entries" WHERE ("points_r2_0ec55581_shadow" IS NULL AND "points" IS NOT NULL) OR ("rank_r2_46e9c09a_shadow" IS NULL AND "rank" IS NOT NULL) OR ("user_id_r2_e12e2ac3_shadow" IS NULL AND "user_id" IS NOT NULL));
        END IF;
    END IF;
END
$$;
