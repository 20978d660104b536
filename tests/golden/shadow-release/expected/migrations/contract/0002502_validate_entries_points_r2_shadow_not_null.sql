-- migrate: release 2, contract, file 2 of 7. Generated from the declared schema; do not edit.

-- C10 validate constraint entries_points_r2_shadow_not_null of public.entries: SHARE UPDATE EXCLUSIVE on public.entries
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."entries"'::regclass AND attname = 'points_r2_shadow' AND NOT attisdropped) THEN
        ALTER TABLE "public"."entries" VALIDATE CONSTRAINT "entries_points_r2_shadow_not_null";
    END IF;
END
$$;
