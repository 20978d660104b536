-- migrate: release 2, expand, file 3 of 7. Generated from the declared schema; do not edit.
-- Timeouts hold for this file's transaction only; on a lock timeout, run it again.
SET LOCAL lock_timeout = '100ms';

-- R9 every file checks that its phase has begun and is not over (run the files in order)
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE CASE WHEN nspname ~ '^release_[0-9]+$' THEN substr(nspname, 9)::numeric > 2 ELSE false END) THEN
        RAISE EXCEPTION '%', 'release 2 cannot expand: a later release has expanded since; there is nothing to do';
    END IF;
    IF (SELECT pg_catalog.obj_description(oid, 'pg_namespace') FROM pg_catalog.pg_namespace WHERE nspname = 'release_0001') IS DISTINCT FROM 'migrate: the contract of release 1 is complete; release 2 is expanding' THEN
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0001') AND EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0002') THEN
            RAISE EXCEPTION '%', 'release 2 is contracting or has contracted (schema release_0001 is gone): its expand has nothing left to do, and running it again would undo contract work';
        END IF;
        RAISE EXCEPTION '%', 'release 2 has not begun to expand: its first expand file (0002001), which checks that the contract of release 1 is complete, has not run or refused; run the expand files of release 2 in order';
    END IF;
END
$$;

-- C6 fill the NULLs written into public.items.sku with 'none' (the running binary may write them): SHARE ROW EXCLUSIVE on public.items
CREATE OR REPLACE FUNCTION "public"."public_items_sku_r2_f17d95f7_fill"() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $fill$
BEGIN
    IF NEW."sku" IS NULL THEN
        NEW."sku" := 'none';
    END IF;
    RETURN NEW;
END
$fill$;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = '"public"."items"'::regclass AND tgname = 'public_items_sku_r2_f17d95f7_fill') AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."items"'::regclass AND attname = 'sku' AND NOT attnotnull AND NOT attisdropped) THEN
        CREATE TRIGGER "public_items_sku_r2_f17d95f7_fill" BEFORE INSERT OR UPDATE OF "sku" ON "public"."items" FOR EACH ROW EXECUTE FUNCTION "public"."public_items_sku_r2_f17d95f7_fill"();
    END IF;
END
$$;
