-- migrate: release 2, expand, file 7 of 7. Generated from the declared schema; do not edit.

-- R create the views of release 2 in schema release_0002: no table lock
CREATE SCHEMA IF NOT EXISTS "release_0002";
CREATE OR REPLACE VIEW "release_0002"."entries" WITH (security_invoker = true) AS SELECT "id", "label", "points_r2_0ec55581_shadow" AS "points", "rank_r2_46e9c09a_shadow" AS "rank", "user_id_r2_e12e2ac3_shadow" AS "user_id" FROM "public"."entries";
ALTER TABLE "release_0002"."entries" ALTER COLUMN "points" SET DEFAULT 0;
CREATE OR REPLACE VIEW "release_0002"."users" WITH (security_invoker = true) AS SELECT "id", "email" FROM "public"."users";
