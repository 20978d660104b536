-- no-transaction
-- migrate: release 2, expand, file 2 of 11. Generated from the declared schema; do not edit.
-- PostgreSQL runs this statement only alone, so it cannot check the release order itself: the files before and after it do.

-- C10 create index entries_big_points_idx_1467f131_shadow on public.entries: SHARE UPDATE EXCLUSIVE on public.entries
CREATE INDEX CONCURRENTLY IF NOT EXISTS "entries_big_points_idx_1467f131_shadow" ON "public"."entries" USING btree ((("points_r2_0ec55581_shadow" / 1000))) WHERE "points_r2_0ec55581_shadow" > 0;
