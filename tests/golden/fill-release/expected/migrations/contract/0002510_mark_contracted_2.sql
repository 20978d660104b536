-- migrate: release 2, contract, file 10 of 10. Generated from the declared schema; do not edit.

-- R9 mark the contract of release 2 complete (the next release's expand waits for it): no table lock
COMMENT ON SCHEMA "release_0002" IS 'migrate: the contract of release 2 is complete';
