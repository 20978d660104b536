-- no-transaction
-- migrate: release 2, expand, file 2 of 3. Generated from the declared schema; do not edit.
-- PostgreSQL runs this statement only alone, so it cannot check the release order itself: the files before and after it do.

-- I1 create index orders_status_idx on public.orders: SHARE UPDATE EXCLUSIVE on public.orders
CREATE INDEX CONCURRENTLY IF NOT EXISTS "orders_status_idx" ON "public"."orders" USING btree ("status");
