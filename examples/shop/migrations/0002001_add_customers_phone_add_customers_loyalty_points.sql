-- migrate: release 2, expand, file 1 of 3. Generated from the declared schema; do not edit.
-- Timeouts hold for this file's transaction only; on a lock timeout, run it again.
SET LOCAL lock_timeout = '100ms';
SET LOCAL statement_timeout = '5000ms';

-- C1 add column public.customers.phone: ACCESS EXCLUSIVE on public.customers
ALTER TABLE "public"."customers" ADD COLUMN IF NOT EXISTS "phone" text;

-- C2 add column public.customers.loyalty_points: ACCESS EXCLUSIVE on public.customers
ALTER TABLE "public"."customers" ADD COLUMN IF NOT EXISTS "loyalty_points" integer DEFAULT 0 NOT NULL;
