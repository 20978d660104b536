-- migrate: release 2, contract, file 4 of 10. Generated from the declared schema; do not edit.

-- C10 validate constraint entries_points_r2_0ec55581_shadow_not_null of public.entries: SHARE UPDATE EXCLUSIVE on public.entries
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."entries"'::regclass AND attname = 'points_r2_0ec55581_shadow' AND NOT attisdropped) THEN
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."entries"'::regclass AND attname = 'points_r2_0ec55581_shadow' AND NOT attisdropped) THEN
            ALTER TABLE "public"."entries" VALIDATE CONSTRAINT "entries_points_r2_0ec55581_shadow_not_null";
        END IF;
    END IF;
END
$$;
