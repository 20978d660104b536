-- migrate: release 2, contract, file 2 of 3. Generated from the declared schema; do not edit.

-- C10 check that the backfill filled every shadow column of public.parcels: no table lock
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."parcels"'::regclass AND attname = 'weight_r2_a7a0625c_shadow' AND NOT attisdropped) THEN
        IF (SELECT count(*) FROM "public"."parcels" WHERE ("weight_r2_a7a0625c_shadow" IS NULL AND "weight" IS NOT NULL AND (nullif(TRIM("weight"), '')::INTEGER) IS NOT NULL)) > 0 THEN
            RAISE EXCEPTION 'public.parcels has % row(s) not yet copied to the new column types: the backfill is not complete; run it before contract', (SELECT count(*) FROM "public"."parcels" WHERE ("weight_r2_a7a0625c_shadow" IS NULL AND "weight" IS NOT NULL AND (nullif(TRIM("weight"), '')::INTEGER) IS NOT NULL));
        END IF;
    END IF;
END
$$;
