-- migrate: release 2, contract, file 11 of 12. Generated from the declared schema; do not edit.

-- K1 validate constraint users_age_check of public.users: SHARE UPDATE EXCLUSIVE on public.users
ALTER TABLE "public"."users" VALIDATE CONSTRAINT "users_age_check";
