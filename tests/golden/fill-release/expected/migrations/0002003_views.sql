-- migrate: release 2, expand, file 3 of 3. Generated from the declared schema; do not edit.

-- R create the views of release 2 in schema release_0002: no table lock
CREATE SCHEMA IF NOT EXISTS "release_0002";
CREATE OR REPLACE VIEW "release_0002"."users" WITH (security_invoker = true) AS SELECT "id", "email", "nickname" AS "handle", "token", "legacy" FROM "public"."users";
