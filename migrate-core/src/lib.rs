//! The shared core of the migrate tool: one model, one attribute parser, one planner.
//!
//! The pipeline, in the order a declaration walks through it:
//! 1. [`declare`]: `#[derive(Table)]`/`#[derive(PgEnum)]` input → declarations with spans;
//!    [`declare::DeclaredTable::resolve`] turns them into [`model`] tables.
//! 2. [`snapshot`]: the accepted schema, read from the checked-in file.
//! 3. [`diff`]: snapshot against declarations → located [`diff::Change`]s.
//! 4. [`decide`]: each change gets its safety-catalog row and a verdict (safe, phased, allowed,
//!    refused, not supported yet).
//! 5. [`plan`]: the changes that go ahead become steps with their lock, transaction mode and
//!    phase.
//! 6. [`render`]: steps → migration files (sqlx layout) and the plan summary.
//! 7. [`access`]: a struct's accessor statements, bound to one release's views.
//!
//! The derive and the build helper call the same functions; nothing is parsed or decided twice.
//!
//! Plans, steps and messages cite safety-catalog rows (`C6`) and rules (`R1`); the repository's
//! `docs/safety-catalog.md` explains each one.

pub mod access;
pub mod decide;
pub mod declare;
pub mod diagnostic;
pub mod diff;
pub mod manifest;
pub mod model;
pub mod pipeline;
pub mod plan;
pub mod render;
pub mod snapshot;
pub mod sql;

pub use diagnostic::{Ctxt, Diagnostic, Severity};
