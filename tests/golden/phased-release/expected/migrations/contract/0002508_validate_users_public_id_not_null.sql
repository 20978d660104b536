-- migrate: release 2, contract, file 8 of 12. Generated from the declared schema; do not edit.

-- C3 validate constraint users_public_id_not_null of public.users: SHARE UPDATE EXCLUSIVE on public.users
ALTER TABLE "public"."users" VALIDATE CONSTRAINT "users_public_id_not_null";
