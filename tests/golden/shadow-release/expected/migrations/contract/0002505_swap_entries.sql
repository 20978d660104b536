-- migrate: release 2, contract, file 5 of 7. Generated from the declared schema; do not edit.
-- Timeouts hold for this file's transaction only; on a lock timeout, run it again.
SET LOCAL lock_timeout = '100ms';
SET LOCAL statement_timeout = '5000ms';

-- C10 swap in the shadow columns of public.entries: points (integer → bigint), rank (smallint → integer), user_id (integer → bigint); drop the triggers and old columns, rename the shadows, restore their indexes and constraints: ACCESS EXCLUSIVE on public.entries, ACCESS EXCLUSIVE on public.users
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."entries"'::regclass AND attname = 'points_r2_shadow' AND NOT attisdropped) THEN
        DROP TRIGGER IF EXISTS "entries_points_r2_sync" ON "public"."entries";
        ALTER TABLE "public"."entries" DROP COLUMN IF EXISTS "points";
        ALTER TABLE "public"."entries" RENAME COLUMN "points_r2_shadow" TO "points";
        ALTER TABLE "public"."entries" ALTER COLUMN "points" SET NOT NULL;
        ALTER TABLE "public"."entries" DROP CONSTRAINT IF EXISTS "entries_points_r2_shadow_not_null";
        ALTER TABLE "public"."entries" ALTER COLUMN "points" SET DEFAULT 0;
        DROP TRIGGER IF EXISTS "entries_rank_r2_sync" ON "public"."entries";
        ALTER TABLE "public"."entries" DROP COLUMN IF EXISTS "rank";
        ALTER TABLE "public"."entries" RENAME COLUMN "rank_r2_shadow" TO "rank";
        DROP TRIGGER IF EXISTS "entries_user_id_r2_sync" ON "public"."entries";
        ALTER TABLE "public"."entries" DROP COLUMN IF EXISTS "user_id";
        ALTER TABLE "public"."entries" RENAME COLUMN "user_id_r2_shadow" TO "user_id";
        ALTER TABLE "public"."entries" ALTER COLUMN "user_id" SET NOT NULL;
        ALTER TABLE "public"."entries" DROP CONSTRAINT IF EXISTS "entries_user_id_r2_shadow_not_null";
        ALTER INDEX "public"."entries_big_points_idx_shadow" RENAME TO "entries_big_points_idx";
        ALTER INDEX "public"."entries_points_idx_shadow" RENAME TO "entries_points_idx";
        ALTER INDEX "public"."entries_user_points_idx_shadow" RENAME TO "entries_user_points_idx";
        ALTER TABLE "public"."entries" ADD CONSTRAINT "entries_rank_key" UNIQUE USING INDEX "entries_rank_key_shadow";
        ALTER TABLE "public"."entries" ADD CONSTRAINT "entries_points_check" CHECK (points >= 0) NOT VALID;
        ALTER TABLE "public"."entries" ADD CONSTRAINT "entries_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "public"."users" ("id") NOT VALID;
    END IF;
END
$$;
DROP FUNCTION IF EXISTS "public"."entries_points_r2_sync"();
DROP FUNCTION IF EXISTS "public"."entries_rank_r2_sync"();
DROP FUNCTION IF EXISTS "public"."entries_user_id_r2_sync"();
