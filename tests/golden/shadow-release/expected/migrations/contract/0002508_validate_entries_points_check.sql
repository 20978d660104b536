-- migrate: release 2, contract, file 8 of 10. Generated from the declared schema; do not edit.

-- K4 validate constraint entries_points_check of public.entries: SHARE UPDATE EXCLUSIVE on public.entries
ALTER TABLE "public"."entries" VALIDATE CONSTRAINT "entries_points_check";
