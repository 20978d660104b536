-- migrate: release 2, expand, file 4 of 4. Generated from the declared schema; do not edit.

-- R create the views of release 2 in schema release_0002: no table lock
CREATE SCHEMA IF NOT EXISTS "release_0002";
CREATE OR REPLACE VIEW "release_0002"."parcels" WITH (security_invoker = true) AS SELECT "id", "label", "weight_r2_a7a0625c_shadow" AS "weight" FROM "public"."parcels";
ALTER TABLE "release_0002"."parcels" ALTER COLUMN "weight" SET DEFAULT 0;
