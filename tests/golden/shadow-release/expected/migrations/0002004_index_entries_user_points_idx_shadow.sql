-- no-transaction
-- migrate: release 2, expand, file 4 of 6. Generated from the declared schema; do not edit.

-- C10 create index entries_user_points_idx_shadow on public.entries: SHARE UPDATE EXCLUSIVE on public.entries
CREATE INDEX CONCURRENTLY IF NOT EXISTS "entries_user_points_idx_shadow" ON "public"."entries" USING btree ("user_id_r2_shadow", "points_r2_shadow");
