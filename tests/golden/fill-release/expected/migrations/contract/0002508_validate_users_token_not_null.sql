-- migrate: release 2, contract, file 8 of 10. Generated from the declared schema; do not edit.

-- C6 validate constraint users_token_not_null of public.users: SHARE UPDATE EXCLUSIVE on public.users
ALTER TABLE "public"."users" VALIDATE CONSTRAINT "users_token_not_null";
