-- migrate: release 2, contract, file 3 of 10. Generated from the declared schema; do not edit.
-- Timeouts hold for this file's transaction only; on a lock timeout, run it again.
SET LOCAL lock_timeout = '100ms';
SET LOCAL statement_timeout = '5000ms';

-- C10 add constraint entries_points_r2_0ec55581_shadow_not_null to public.entries NOT VALID: ACCESS EXCLUSIVE on public.entries
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."entries"'::regclass AND attname = 'points_r2_0ec55581_shadow' AND NOT attisdropped) THEN
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."entries"'::regclass AND attname = 'points_r2_0ec55581_shadow' AND NOT attisdropped) THEN
            IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = '"public"."entries"'::regclass AND conname = 'entries_points_r2_0ec55581_shadow_not_null') THEN
                ALTER TABLE "public"."entries" ADD CONSTRAINT "entries_points_r2_0ec55581_shadow_not_null" CHECK ("points_r2_0ec55581_shadow" IS NOT NULL) NOT VALID;
            END IF;
        END IF;
    END IF;
END
$$;
