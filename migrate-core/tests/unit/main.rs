//! The fast unit tier: no database, one test binary. Each module covers one catalog family
//! (as the planner's step-builder and verdict files do): it builds two releases from Rust
//! source text, decides and plans them in memory, asserts the row, the verdict and the
//! properties of its steps, and only then snapshots the rendered steps (`snapshots/`).
//!
//! Not declarable, so not covered here: X1 (exclusion constraints, tablespaces, VACUUM FULL,
//! CLUSTER have no attribute) and rule R6 (one runner at a time), which is the runner's.
//! `rules::every_catalog_row_is_covered` fails when a new catalog row has no test.

mod support;

mod column;
mod constraint;
mod enums;
mod index;
mod not_null;
mod rules;
mod table;
mod type_change;
