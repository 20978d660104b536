-- no-transaction
-- migrate: release 2, expand, file 2 of 5. Generated from the declared schema; do not edit.
-- PostgreSQL runs this statement only alone, so it cannot check the release order itself: the files before and after it do.

-- C10 create index parcels_weight_idx_7891b364_shadow on public.parcels: SHARE UPDATE EXCLUSIVE on public.parcels
CREATE INDEX CONCURRENTLY IF NOT EXISTS "parcels_weight_idx_7891b364_shadow" ON "public"."parcels" USING btree ("weight_r2_a7a0625c_shadow");
