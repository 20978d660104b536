-- migrate: release 2, contract, file 1 of 7. Generated from the declared schema; do not edit.
-- Timeouts hold for this file's transaction only; on a lock timeout, run it again.
SET LOCAL lock_timeout = '100ms';
SET LOCAL statement_timeout = '5000ms';

-- R9 check that the expand of release 2 ran: no table lock
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0002') THEN
        RAISE EXCEPTION 'release 2 cannot contract: its expand has not run (schema release_0002 is missing); run expand, deploy, then contract';
    END IF;
END
$$;

-- R10 drop the views of release 1 (schema release_0001): its binary is gone: no table lock
DROP SCHEMA IF EXISTS "release_0001" CASCADE;

-- C10 check that the backfill copied every public.entries.points row: no table lock
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."entries"'::regclass AND attname = 'points_r2_shadow' AND NOT attisdropped) THEN
        IF (SELECT count(*) FROM "public"."entries" WHERE "points_r2_shadow" IS NULL AND "points" IS NOT NULL) > 0 THEN
            RAISE EXCEPTION 'public.entries.points has % row(s) not yet copied to its new type: the backfill is not complete; run it before contract', (SELECT count(*) FROM "public"."entries" WHERE "points_r2_shadow" IS NULL AND "points" IS NOT NULL);
        END IF;
    END IF;
END
$$;

-- C10 add constraint entries_points_r2_shadow_not_null to public.entries NOT VALID: ACCESS EXCLUSIVE on public.entries
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."entries"'::regclass AND attname = 'points_r2_shadow' AND NOT attisdropped) THEN
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = '"public"."entries"'::regclass AND conname = 'entries_points_r2_shadow_not_null') THEN
            ALTER TABLE "public"."entries" ADD CONSTRAINT "entries_points_r2_shadow_not_null" CHECK ("points_r2_shadow" IS NOT NULL) NOT VALID;
        END IF;
    END IF;
END
$$;
