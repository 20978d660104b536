-- migrate: release 3, contract, file 3 of 3. Generated from the declared schema; do not edit.

-- K1 validate constraint products_name_not_blank of public.products: SHARE UPDATE EXCLUSIVE on public.products
ALTER TABLE "public"."products" VALIDATE CONSTRAINT "products_name_not_blank";
