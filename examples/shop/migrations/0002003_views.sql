-- migrate: release 2, expand, file 3 of 3. Generated from the declared schema; do not edit.

-- R create the views of release 2 in schema release_0002: no table lock
CREATE SCHEMA IF NOT EXISTS "release_0002";
CREATE OR REPLACE VIEW "release_0002"."customers" WITH (security_invoker = true) AS SELECT "id", "email", "display_name", "created_at", "phone", "loyalty_points" FROM "public"."customers";
CREATE OR REPLACE VIEW "release_0002"."order_items" WITH (security_invoker = true) AS SELECT "order_id", "product_id", "quantity" FROM "public"."order_items";
CREATE OR REPLACE VIEW "release_0002"."orders" WITH (security_invoker = true) AS SELECT "id", "customer_id", "status", "placed_at", "note" FROM "public"."orders";
CREATE OR REPLACE VIEW "release_0002"."products" WITH (security_invoker = true) AS SELECT "id", "sku", "name", "price_cents", "attributes", "tags" FROM "public"."products";
