//! Safety-catalog rows and rules, and the verdicts a plan prints.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! catalog_rows {
    ($( $(#[doc = $doc:literal])* $variant:ident = $text:literal, )*) => {
        /// A row of the safety catalog (an operation and how it is planned), or a rule every
        /// generated step follows. Serialised and displayed as its code (`"C6"`, `"R9"`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum CatalogRow {
            $( $(#[doc = $doc])* $variant, )*
        }

        impl CatalogRow {
            /// Every row and rule, in catalog order.
            pub const ALL: &'static [CatalogRow] = &[$(CatalogRow::$variant),*];

            /// The code, as the catalog writes it (`"C6"`).
            pub fn as_str(self) -> &'static str {
                match self {
                    $(CatalogRow::$variant => $text,)*
                }
            }
        }

        impl FromStr for CatalogRow {
            type Err = UnknownCatalogRow;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                match text {
                    $($text => Ok(CatalogRow::$variant),)*
                    _ => Err(UnknownCatalogRow(text.to_owned())),
                }
            }
        }
    };
}

catalog_rows! {
    /// Create a table: safe, in expand; its indexes and keys go in with it (it is empty).
    T1 = "T1",
    /// Drop a table: data loss and old binaries break; only after it was deprecated, in contract.
    T2 = "T2",
    /// Rename a table: the new views carry the new name at once; the physical rename waits for contract.
    T3 = "T3",
    /// Add a nullable column without a default: a brief lock, safe in expand.
    C1 = "C1",
    /// Add a column with a non-volatile default: metadata only, safe in expand.
    C2 = "C2",
    /// Add a column with a volatile default: added nullable, then backfilled in batches.
    C3 = "C3",
    /// Add a NOT NULL column with no default: refused unless a default or backfill is declared.
    C4 = "C4",
    /// Drop a column (declared intent): the new views leave it out; the drop waits for contract.
    C5 = "C5",
    /// Nullable to NOT NULL: backfill, a NOT VALID check validated apart, then SET NOT NULL, in contract.
    C6 = "C6",
    /// NOT NULL to nullable: a brief lock in expand; old binaries cannot decode the NULLs.
    C7 = "C7",
    /// Rename a column (declared intent): the new views expose it under the new name; renamed in contract.
    C8 = "C8",
    /// A binary-coercible type change: metadata only, in place.
    C9 = "C9",
    /// Any other type change: a shadow column, a two-way trigger and a backfill; swapped in contract.
    C10 = "C10",
    /// Set or drop a default: a brief lock in expand.
    C11 = "C11",
    /// Add an identity, serial or stored generated column: a rewrite, refused.
    C12 = "C12",
    /// Create an index on an existing table: CONCURRENTLY, alone, then checked for validity.
    I1 = "I1",
    /// Drop an index: CONCURRENTLY, alone, in contract.
    I2 = "I2",
    /// Add a unique constraint: checked for duplicates, a unique index built CONCURRENTLY, then attached.
    I3 = "I3",
    /// Add a primary key: its columns made NOT NULL, a unique index CONCURRENTLY, then attached.
    I4 = "I4",
    /// A partial, expression or multi-column index: as I1, with a deterministic name.
    I5 = "I5",
    /// Add a CHECK: NOT VALID first, validated in a transaction of its own.
    K1 = "K1",
    /// Add a foreign key: NOT VALID first, validated apart; warns when no index serves it.
    K2 = "K2",
    /// Drop a constraint: it relaxes, a brief lock in expand.
    K3 = "K3",
    /// A type change on a column with CHECKs: the checks are dropped, re-added NOT VALID, validated.
    K4 = "K4",
    /// Add an enum value: alone in a transaction of its own; old binaries cannot decode it.
    E1 = "E1",
    /// Remove or rename an enum value: impossible in place, refused.
    E2 = "E2",
    /// Exclusion constraints, tablespaces, VACUUM FULL, CLUSTER: no online form, refused.
    X1 = "X1",
    /// The release model: each release reads and writes through its own schema of views.
    R = "R",
    /// Rule 1: a short lock timeout for every step that blocks writers, and a retry when it
    /// expires; one write-blocked existing table per shared transaction.
    R1 = "R1",
    /// Rule 2: a statement timeout on ACCESS EXCLUSIVE steps, none on long non-blocking ones.
    R2 = "R2",
    /// Rule 3: CONCURRENTLY runs alone outside a transaction, ADD VALUE alone in its own; VALIDATE never shares its NOT VALID add's transaction.
    R3 = "R3",
    /// Rule 4: a trigger is created and dropped in the same transaction as the column it serves.
    R4 = "R4",
    /// Rule 5: every step can be re-run after a crash at any point.
    R5 = "R5",
    /// Rule 6: one runner at a time, serialised by polling an advisory lock.
    R6 = "R6",
    /// Rule 7: backfills walk the primary key in batches sized by duration, and resume.
    R7 = "R7",
    /// Rule 8: every identifier quoted; names PostgreSQL would truncate refused.
    R8 = "R8",
    /// Rule 9: releases and phases run in order; contract waits for the backfill.
    R9 = "R9",
    /// Rule 10: the previous release's views go before the columns they read.
    R10 = "R10",
}

impl fmt::Display for CatalogRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CatalogRow {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CatalogRow {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// A code that names no catalog row or rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a catalog row or rule such as `C8` or `R9`")]
pub struct UnknownCatalogRow(pub String);

/// What the planner said about a change, as the plan prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum VerdictKind {
    /// Safe as planned, all in expand.
    #[serde(rename = "SAFE")]
    Safe,
    /// Safe, spread over phases.
    #[serde(rename = "PHASED")]
    Phased,
    /// Unsafe, run as declared with the user's `allow_unsafe` reason.
    #[serde(rename = "UNSAFE (allowed)")]
    Allowed,
    /// Unsafe: no plan is written.
    #[serde(rename = "REFUSED")]
    Refused,
    /// Not classified by this version: no plan is written.
    #[serde(rename = "NOT SUPPORTED")]
    Unsupported,
}

impl VerdictKind {
    /// The name the plan prints (`"UNSAFE (allowed)"`).
    pub fn as_str(self) -> &'static str {
        match self {
            VerdictKind::Safe => "SAFE",
            VerdictKind::Phased => "PHASED",
            VerdictKind::Allowed => "UNSAFE (allowed)",
            VerdictKind::Refused => "REFUSED",
            VerdictKind::Unsupported => "NOT SUPPORTED",
        }
    }
}

impl fmt::Display for VerdictKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_round_trips_through_its_code() {
        for row in CatalogRow::ALL {
            let json = serde_json::to_string(row).unwrap();
            assert_eq!(json, format!("\"{row}\""));
            assert_eq!(serde_json::from_str::<CatalogRow>(&json).unwrap(), *row);
            assert_eq!(row.as_str().parse::<CatalogRow>().unwrap(), *row);
        }
        assert!("C13".parse::<CatalogRow>().is_err());
        assert!(serde_json::from_str::<CatalogRow>("\"c6\"").is_err());
    }

    #[test]
    fn verdicts_keep_their_printed_spelling() {
        for (kind, text) in [
            (VerdictKind::Safe, "SAFE"),
            (VerdictKind::Phased, "PHASED"),
            (VerdictKind::Allowed, "UNSAFE (allowed)"),
            (VerdictKind::Refused, "REFUSED"),
            (VerdictKind::Unsupported, "NOT SUPPORTED"),
        ] {
            assert_eq!(kind.to_string(), text);
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{text}\""));
        }
    }
}
