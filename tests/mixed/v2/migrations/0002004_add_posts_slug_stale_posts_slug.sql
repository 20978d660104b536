-- migrate: release 2, expand, file 4 of 7. Generated from the declared schema; do not edit.
-- Timeouts hold for this file's transaction only; on a lock timeout, run it again.
SET LOCAL lock_timeout = '100ms';
SET LOCAL statement_timeout = '5000ms';

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

-- C4 add column public.posts.slug (computed by slug_of), nullable until contract: ACCESS EXCLUSIVE on public.posts
ALTER TABLE "public"."posts" ADD COLUMN IF NOT EXISTS "slug" text;

-- C4 mark public.posts.slug for recomputing where a write changes title without setting it (the running binary does not know it): SHARE ROW EXCLUSIVE on public.posts
CREATE OR REPLACE FUNCTION "public"."public_posts_slug_r2_9af0f227_stale"() RETURNS trigger LANGUAGE plpgsql AS $stale$
BEGIN
    IF NEW."slug" IS NOT DISTINCT FROM OLD."slug" AND (NEW."title" IS DISTINCT FROM OLD."title") THEN
        NEW."slug" := NULL;
    END IF;
    RETURN NEW;
END
$stale$;
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_trigger WHERE tgrelid = '"public"."posts"'::regclass AND tgname = 'public_posts_slug_r2_9af0f227_stale') AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute WHERE attrelid = '"public"."posts"'::regclass AND attname = 'slug' AND NOT attnotnull AND NOT attisdropped) THEN
        CREATE TRIGGER "public_posts_slug_r2_9af0f227_stale" BEFORE UPDATE OF "title" ON "public"."posts" FOR EACH ROW EXECUTE FUNCTION "public"."public_posts_slug_r2_9af0f227_stale"();
    END IF;
END
$$;
