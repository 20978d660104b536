-- migrate: release 3, contract, file 1 of 3. Generated from the declared schema; do not edit.
-- Timeouts hold for this file's transaction only; on a lock timeout, run it again.
SET LOCAL lock_timeout = '100ms';
SET LOCAL statement_timeout = '5000ms';

-- R10 drop the views of release 2 (schema release_0002): its binary is gone: no table lock
DROP SCHEMA IF EXISTS "release_0002" CASCADE;

-- C8 rename column public.orders.note to customer_note: ACCESS EXCLUSIVE on public.orders
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."orders"'::regclass AND attname = 'note' AND NOT attisdropped) THEN
        ALTER TABLE "public"."orders" RENAME COLUMN "note" TO "customer_note";
    END IF;
END
$$;
