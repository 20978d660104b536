-- migrate: release 3, contract, file 2 of 3. Generated from the declared schema; do not edit.
-- Timeouts hold for this file's transaction only; on a lock timeout, run it again.
SET LOCAL lock_timeout = '100ms';
SET LOCAL statement_timeout = '5000ms';

-- K1 add constraint products_name_not_blank to public.products NOT VALID: ACCESS EXCLUSIVE on public.products
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = '"public"."products"'::regclass AND conname = 'products_name_not_blank') THEN
        ALTER TABLE "public"."products" ADD CONSTRAINT "products_name_not_blank" CHECK (length(name) > 0) NOT VALID;
    END IF;
END
$$;
