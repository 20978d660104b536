//! What the planner starts from: the PostgreSQL target, the two schemas and the decisions of a
//! release ([`PlanInput`]), and the physical names the new release's names map onto until
//! contract ([`PhysicalNames`]).

use std::collections::BTreeMap;

use crate::decide::{Decision, Verdict};
use crate::diff::Change;
use crate::model::{QualifiedName, Schema};
use crate::snapshot::Release;

/// The PostgreSQL version the plan targets (minimum 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// Major version.
    pub major: u32,
    /// Minor version.
    pub minor: u32,
}

impl Default for Target {
    fn default() -> Self {
        Target {
            major: 15,
            minor: 0,
        }
    }
}

/// Why a target PostgreSQL version was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// Not `15` or `14.4`.
    #[error("`{0}` is not a PostgreSQL version; write it as `15` or `14.4`")]
    NotAVersion(String),
    /// Before 12.
    #[error("PostgreSQL {0} is not supported; the plans need PostgreSQL 12 or later")]
    TooOld(u32),
}

impl Target {
    /// Parses `15`, `14.4`, …; versions before 12 are refused.
    pub fn parse(text: &str) -> Result<Target, TargetError> {
        let (major, minor) = match text.trim().split_once('.') {
            Some((a, b)) => (a.parse::<u32>(), b.parse::<u32>()),
            None => (text.trim().parse::<u32>(), Ok(0)),
        };
        let (Ok(major), Ok(minor)) = (major, minor) else {
            return Err(TargetError::NotAVersion(text.to_owned()));
        };
        if major < 12 {
            return Err(TargetError::TooOld(major));
        }
        Ok(Target { major, minor })
    }

    /// `CREATE VIEW … WITH (security_invoker = true)` exists from PostgreSQL 15.
    pub fn security_invoker(self) -> bool {
        self.major >= 15
    }

    /// PostgreSQL 14.0–14.3 can corrupt indexes built CONCURRENTLY.
    pub fn concurrently_is_unsafe(self) -> bool {
        self.major == 14 && self.minor <= 3
    }
}

/// Everything `build_plan` needs.
#[derive(Debug, Clone, Copy)]
pub struct PlanInput<'a> {
    /// The release being planned.
    pub release: &'a Release,
    /// The accepted release before it.
    pub previous: &'a Release,
    /// The accepted (previous) logical schema, which is the physical schema at expand time.
    pub accepted: &'a Schema,
    /// The declared logical schema: the new release, as the structs declare it.
    pub declared: &'a Schema,
    /// Every decision of the release; only SAFE, PHASED and allowed ones are planned.
    pub decisions: &'a [Decision],
    /// The PostgreSQL version.
    pub target: Target,
}

/// Maps the new release's names onto the physical names they have until contract.
#[derive(Debug, Default)]
pub(super) struct PhysicalNames {
    tables: BTreeMap<String, QualifiedName>,
    columns: BTreeMap<(String, String), String>,
}

impl PhysicalNames {
    pub(super) fn from_decisions(decisions: &[&Decision]) -> Self {
        let mut names = PhysicalNames::default();
        for d in decisions {
            match &d.located.change {
                Change::RenameTable { from, to } => {
                    names.tables.insert(to.key(), from.clone());
                }
                Change::RenameColumn { table, from, to } => {
                    names
                        .columns
                        .insert((table.key(), to.clone()), from.clone());
                }
                _ => {}
            }
        }
        names
    }

    pub(super) fn table(&self, logical: &QualifiedName) -> QualifiedName {
        if self.tables.is_empty() {
            return logical.clone();
        }
        self.tables
            .get(&logical.key())
            .cloned()
            .unwrap_or_else(|| logical.clone())
    }

    pub(super) fn column(&self, table: &QualifiedName, column: &str) -> String {
        if self.columns.is_empty() {
            return column.to_owned();
        }
        self.columns
            .get(&(table.key(), column.to_owned()))
            .cloned()
            .unwrap_or_else(|| column.to_owned())
    }

    /// This release's column renames in a table, as (new name, physical name).
    pub(super) fn renamed_columns(&self, table: &QualifiedName) -> Vec<(String, String)> {
        self.columns
            .iter()
            .filter(|((t, _), _)| *t == table.key())
            .map(|((_, new), old)| (new.clone(), old.clone()))
            .collect()
    }

    /// Whether anything of this table is renamed in the release (its new indexes then wait for
    /// the physical rename, because their expressions name the new columns).
    pub(super) fn touches(&self, table: &QualifiedName) -> bool {
        self.tables.contains_key(&table.key())
            || self.columns.keys().any(|(t, _)| *t == table.key())
    }
}

impl Decision {
    pub(super) fn allowed_reason(&self) -> Option<String> {
        match &self.verdict {
            Verdict::Allowed { reason, .. } => Some(reason.clone()),
            _ => None,
        }
    }
}
