-- migrate: release 2, contract, file 1 of 1. Generated from the declared schema; do not edit.

-- R10 drop the views of release 1 (schema release_0001): its binary is gone: no table lock
DROP SCHEMA IF EXISTS "release_0001" CASCADE;
