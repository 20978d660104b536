-- no-transaction
-- migrate: release 2, expand, file 2 of 3. Generated from the declared schema; do not edit.

-- I1 create index orders_status_idx on public.orders: SHARE UPDATE EXCLUSIVE on public.orders
CREATE INDEX CONCURRENTLY IF NOT EXISTS "orders_status_idx" ON "public"."orders" USING btree ("status");
