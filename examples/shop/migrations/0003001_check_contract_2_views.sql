-- migrate: release 3, expand, file 1 of 1. Generated from the declared schema; do not edit.

-- R9 check that the contract of release 2 ran and that release 3 is not contracting: no table lock
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE CASE WHEN nspname ~ '^release_[0-9]+$' THEN substr(nspname, 9)::numeric > 3 ELSE false END) THEN
        RAISE EXCEPTION 'release 3 cannot expand: a later release has expanded since; there is nothing to do';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0002') THEN
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0003') THEN
            RAISE EXCEPTION 'release 3 is contracting or has contracted (schema release_0002 is gone): its expand has nothing left to do, and running it again would undo contract work';
        END IF;
        RAISE EXCEPTION 'release 3 cannot expand: release 2 has not expanded (schema release_0002 is missing); run the releases in order';
    END IF;
    IF (SELECT pg_catalog.obj_description(oid, 'pg_namespace') FROM pg_catalog.pg_namespace WHERE nspname = 'release_0002') NOT IN ('migrate: the contract of release 2 is complete', 'migrate: the contract of release 2 is complete; release 3 is expanding') IS NOT FALSE THEN
        RAISE EXCEPTION 'release 3 cannot expand: the contract of release 2 has not completed (schema release_0002 carries no completion mark); run it to the end (every step re-runs safely) once the binaries of release 1 are gone';
    END IF;
    COMMENT ON SCHEMA "release_0002" IS 'migrate: the contract of release 2 is complete; release 3 is expanding';
END
$$;

-- R create the views of release 3 in schema release_0003: no table lock
CREATE SCHEMA IF NOT EXISTS "release_0003";
CREATE OR REPLACE VIEW "release_0003"."customers" WITH (security_invoker = true) AS SELECT "id", "email", "display_name", "created_at", "phone", "loyalty_points" FROM "public"."customers";
CREATE OR REPLACE VIEW "release_0003"."order_items" WITH (security_invoker = true) AS SELECT "order_id", "product_id", "quantity" FROM "public"."order_items";
CREATE OR REPLACE VIEW "release_0003"."orders" WITH (security_invoker = true) AS SELECT "id", "customer_id", "status", "placed_at", "note" AS "customer_note" FROM "public"."orders";
CREATE OR REPLACE VIEW "release_0003"."products" WITH (security_invoker = true) AS SELECT "id", "sku", "name", "price_cents", "attributes", "tags" FROM "public"."products";
