-- migrate: release 2, expand, file 3 of 4. Generated from the declared schema; do not edit.

-- C10 wait for the backfill of public.parcels: copy public.parcels.weight (integer) into shadow columns (the triggers convert each touched row): no table lock
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."parcels"'::regclass AND attname = 'weight_r2_a7a0625c_shadow' AND NOT attisdropped) THEN
        IF (SELECT count(*) FROM "public"."parcels" WHERE ("weight_r2_a7a0625c_shadow" IS NULL AND "weight" IS NOT NULL AND (nullif(TRIM("weight"), '')::INTEGER) IS NOT NULL)) > 0 THEN
            RAISE EXCEPTION 'public.parcels has % row(s) the backfill has not filled yet; run the backfill of release 2 (see its plan), then run expand again: the new release''s views wait for it', (SELECT count(*) FROM "public"."parcels" WHERE ("weight_r2_a7a0625c_shadow" IS NULL AND "weight" IS NOT NULL AND (nullif(TRIM("weight"), '')::INTEGER) IS NOT NULL));
        END IF;
    END IF;
END
$$;
