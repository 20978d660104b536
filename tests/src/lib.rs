//! Support for the workspace integration tests: a real PostgreSQL per test, introspection into
//! the shared model and backfills and rollbacks (thin wrappers over `migrate_runtime`), and
//! scenarios that drive the real build helper through several releases.

pub mod introspect;
pub mod pg;
pub mod scenario;
