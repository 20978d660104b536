-- migrate: release 2, contract, file 17 of 19. Generated from the declared schema; do not edit.

-- R9 every file checks that its phase has begun and is not over (run the files in order)
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE CASE WHEN nspname ~ '^release_[0-9]+$' THEN substr(nspname, 9)::numeric > 2 ELSE false END) OR (SELECT pg_catalog.obj_description(oid, 'pg_namespace') FROM pg_catalog.pg_namespace WHERE nspname = 'release_0002') IS NOT DISTINCT FROM 'migrate: the contract of release 2 is complete; release 3 is expanding' THEN
        RAISE EXCEPTION '%', 'release 2 contracted already and a later release has begun to expand since: running this contract file again would act on a newer schema; there is nothing to do';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0002') THEN
        RAISE EXCEPTION '%', 'release 2 cannot contract: its expand has not run to the end (schema release_0002 is missing); run expand, deploy, then contract';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = 'release_0001') THEN
        RAISE EXCEPTION '%', 'release 2 has not begun to contract: its first contract file (0002501), which drops the views of release 1 (schema release_0001), has not run; run the contract files of release 2 in order';
    END IF;
END
$$;

-- C4 validate constraint posts_slug_not_null of public.posts: SHARE UPDATE EXCLUSIVE on public.posts
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_constraint WHERE conrelid = '"public"."posts"'::regclass AND conname = 'posts_slug_not_null') THEN
        ALTER TABLE "public"."posts" VALIDATE CONSTRAINT "posts_slug_not_null";
    END IF;
END
$$;
