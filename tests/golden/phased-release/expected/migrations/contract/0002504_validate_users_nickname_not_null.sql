-- migrate: release 2, contract, file 4 of 12. Generated from the declared schema; do not edit.

-- C6 validate constraint users_nickname_not_null of public.users: SHARE UPDATE EXCLUSIVE on public.users
ALTER TABLE "public"."users" VALIDATE CONSTRAINT "users_nickname_not_null";
