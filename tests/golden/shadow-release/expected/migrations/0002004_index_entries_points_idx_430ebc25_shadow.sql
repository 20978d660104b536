-- no-transaction
-- migrate: release 2, expand, file 4 of 11. Generated from the declared schema; do not edit.
-- PostgreSQL runs this statement only alone, so it cannot check the release order itself: the files before and after it do.

-- C10 create index entries_points_idx_430ebc25_shadow on public.entries: SHARE UPDATE EXCLUSIVE on public.entries
CREATE INDEX CONCURRENTLY IF NOT EXISTS "entries_points_idx_430ebc25_shadow" ON "public"."entries" USING btree ("points_r2_0ec55581_shadow");
