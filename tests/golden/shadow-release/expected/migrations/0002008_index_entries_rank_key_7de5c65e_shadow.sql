-- no-transaction
-- migrate: release 2, expand, file 8 of 11. Generated from the declared schema; do not edit.
-- PostgreSQL runs this statement only alone, so it cannot check the release order itself: the files before and after it do.

-- C10 create unique index entries_rank_key_7de5c65e_shadow on public.entries: SHARE UPDATE EXCLUSIVE on public.entries
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "entries_rank_key_7de5c65e_shadow" ON "public"."entries" USING btree ("rank_r2_46e9c09a_shadow");
