-- no-transaction
-- migrate: release 2, expand, file 2 of 4. Generated from the declared schema; do not edit.

-- C10 create index parcels_weight_idx_7891b364_shadow on public.parcels: SHARE UPDATE EXCLUSIVE on public.parcels
CREATE INDEX CONCURRENTLY IF NOT EXISTS "parcels_weight_idx_7891b364_shadow" ON "public"."parcels" USING btree ("weight_r2_a7a0625c_shadow");
