-- migrate: release 3, contract, file 3 of 4. Generated from the declared schema; do not edit.

-- R9 every file checks that its phase has begun and is not over (run the files in order)
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE CASE WHEN nspname ~ '^release_[0-9]+$' THEN substr(nspname, 9)::numeric > 3 ELSE false END) OR (SELECT pg_catalog.obj_description(oid, 'pg_namespace') FROM pg_catalog.pg_namespace WHERE nspname = 'release_0003') IS NOT DISTINCT FROM 'migrate: the contract of release 3 is complete; release 4 is expanding' THEN
        RAISE EXCEPTION '%', 'release 3 contracted already and a later release has begun to expand since: running this contract file again would act on a newer schema; there is nothing to do';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0003') THEN
        RAISE EXCEPTION '%', 'release 3 cannot contract: its expand has not run to the end (schema release_0003 is missing); run expand, deploy, then contract';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0002') THEN
        RAISE EXCEPTION '%', 'release 3 has not begun to contract: its first contract file (0003501), which drops the views of release 2 (schema release_0002), has not run; run the contract files of release 3 in order';
    END IF;
END
$$;

-- K1 validate constraint products_name_not_blank of public.products: SHARE UPDATE EXCLUSIVE on public.products
ALTER TABLE "public"."products" VALIDATE CONSTRAINT "products_name_not_blank";
