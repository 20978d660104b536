-- migrate: release 2, contract, file 9 of 10. Generated from the declared schema; do not edit.

-- K4 validate constraint entries_user_id_fkey of public.entries (ROW SHARE on public.users): SHARE UPDATE EXCLUSIVE on public.entries
ALTER TABLE "public"."entries" VALIDATE CONSTRAINT "entries_user_id_fkey";
