-- migrate: release 2, contract, file 3 of 7. Generated from the declared schema; do not edit.
-- Timeouts hold for this file's transaction only; on a lock timeout, run it again.
SET LOCAL lock_timeout = '100ms';
SET LOCAL statement_timeout = '5000ms';

-- C10 check that the backfill copied every public.entries.rank row: no table lock
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."entries"'::regclass AND attname = 'rank_r2_shadow' AND NOT attisdropped) THEN
        IF (SELECT count(*) FROM "public"."entries" WHERE "rank_r2_shadow" IS NULL AND "rank" IS NOT NULL) > 0 THEN
            RAISE EXCEPTION 'public.entries.rank has % row(s) not yet copied to its new type: the backfill is not complete; run it before contract', (SELECT count(*) FROM "public"."entries" WHERE "rank_r2_shadow" IS NULL AND "rank" IS NOT NULL);
        END IF;
    END IF;
END
$$;

-- C10 check that the backfill copied every public.entries.user_id row: no table lock
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."entries"'::regclass AND attname = 'user_id_r2_shadow' AND NOT attisdropped) THEN
        IF (SELECT count(*) FROM "public"."entries" WHERE "user_id_r2_shadow" IS NULL AND "user_id" IS NOT NULL) > 0 THEN
            RAISE EXCEPTION 'public.entries.user_id has % row(s) not yet copied to its new type: the backfill is not complete; run it before contract', (SELECT count(*) FROM "public"."entries" WHERE "user_id_r2_shadow" IS NULL AND "user_id" IS NOT NULL);
        END IF;
    END IF;
END
$$;

-- C10 add constraint entries_user_id_r2_shadow_not_null to public.entries NOT VALID: ACCESS EXCLUSIVE on public.entries
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."entries"'::regclass AND attname = 'user_id_r2_shadow' AND NOT attisdropped) THEN
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = '"public"."entries"'::regclass AND conname = 'entries_user_id_r2_shadow_not_null') THEN
            ALTER TABLE "public"."entries" ADD CONSTRAINT "entries_user_id_r2_shadow_not_null" CHECK ("user_id_r2_shadow" IS NOT NULL) NOT VALID;
        END IF;
    END IF;
END
$$;
