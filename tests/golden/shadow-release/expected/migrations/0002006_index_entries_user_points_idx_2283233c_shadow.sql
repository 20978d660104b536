-- no-transaction
-- migrate: release 2, expand, file 6 of 11. Generated from the declared schema; do not edit.
-- PostgreSQL runs this statement only alone, so it cannot check the release order itself: the files before and after it do.

-- C10 create index entries_user_points_idx_2283233c_shadow on public.entries: SHARE UPDATE EXCLUSIVE on public.entries
CREATE INDEX CONCURRENTLY IF NOT EXISTS "entries_user_points_idx_2283233c_shadow" ON "public"."entries" USING btree ("user_id_r2_e12e2ac3_shadow", "points_r2_0ec55581_shadow");
