//! The checked-in snapshot: the accepted schema, the release it belongs to, the work still in
//! flight, and a manifest of the generated files so CI can tell when they are stale.
//!
//! The file is canonical JSON: maps sorted, pretty-printed, LF, trailing newline. Loading a
//! hand-broken file reports the file and line and never overwrites it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::model::Schema;
use migrate_contract::CatalogRow;

mod validate;

/// The snapshot format this crate reads and writes.
pub const FORMAT_VERSION: u32 = 1;

/// The default snapshot file name, beside the `migrations/` folder.
pub const DEFAULT_FILE_NAME: &str = "migrate.snapshot.json";

/// The accepted state of a crate's schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// File format version ([`FORMAT_VERSION`]).
    pub format: u32,
    /// The release this schema belongs to.
    pub release: Release,
    /// The accepted schema.
    pub schema: Schema,
    /// Changes whose later phases (backfill, contract) have not run yet.
    #[serde(default)]
    pub in_flight: Vec<InFlight>,
    /// Generated files (relative to the crate) and the SHA-256 of their accepted content.
    #[serde(default)]
    pub generated: BTreeMap<String, String>,
}

pub use migrate_contract::Release;

/// A change accepted in some release whose backfill or contract is still to run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InFlight {
    /// The release that expanded it.
    pub release: u32,
    /// The catalog row (`C8`, `C10`, …).
    pub catalog: CatalogRow,
    /// What is waiting, in words.
    pub description: String,
}

impl Default for Snapshot {
    fn default() -> Self {
        Self {
            format: FORMAT_VERSION,
            release: Release {
                marks_contract: false,
                ..Release::numbered(0)
            },
            schema: Schema::default(),
            in_flight: Vec::new(),
            generated: BTreeMap::new(),
        }
    }
}

/// Why a snapshot could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The file exists but cannot be read.
    #[error("cannot read the snapshot {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The file is not a valid snapshot.
    #[error("{path}:{line}:{column}: the snapshot is not valid: {message}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// The file parses, but a value in it is not one the build could have written: a name,
    /// type or SQL snippet that would reach the generated SQL unchecked.
    #[error(
        "{path}:{line}: the snapshot holds an invalid value at `{field}`: {value}: {message}; restore the file from version control (`git checkout -- {path}`) or fix the value by hand"
    )]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line of the value (its first occurrence).
        line: usize,
        /// Where in the snapshot, e.g. `schema.tables["public.users"].columns[2].name`.
        field: String,
        /// The value, escaped.
        value: String,
        /// What is wrong with it.
        message: String,
    },
    /// Written by a newer version of this tool.
    #[error(
        "{path}: snapshot format {found} is not supported (this build reads format {FORMAT_VERSION}); upgrade the migrate crates"
    )]
    Version {
        /// The file.
        path: PathBuf,
        /// The format it declares.
        found: u32,
    },
}

impl Snapshot {
    /// Reads a snapshot. A missing file means nothing was accepted yet: `Ok(None)`.
    pub fn load(path: &Path) -> Result<Option<Snapshot>, SnapshotError> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => {
                return Err(SnapshotError::Io {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        Self::parse(&text, path).map(Some)
    }

    /// Parses snapshot text; `path` is only used in errors.
    pub fn parse(text: &str, path: &Path) -> Result<Snapshot, SnapshotError> {
        #[derive(Deserialize)]
        struct VersionProbe {
            format: u32,
        }
        let parse_error = |e: serde_json::Error| SnapshotError::Parse {
            path: path.to_owned(),
            line: e.line().max(1),
            column: e.column().max(1),
            message: e.to_string(),
        };
        let version_error = |found| SnapshotError::Version {
            path: path.to_owned(),
            found,
        };
        // One pass when the file is a valid snapshot; only a failure reads it again, probing the
        // version first so a newer format is reported as such rather than as a parse error.
        let full_error = match serde_json::from_str::<Snapshot>(text) {
            Ok(snapshot) if snapshot.format == FORMAT_VERSION => {
                validate::validate(&snapshot, text, path)?;
                return Ok(snapshot);
            }
            Ok(snapshot) => return Err(version_error(snapshot.format)),
            Err(e) => e,
        };
        let probe: VersionProbe = serde_json::from_str(text).map_err(parse_error)?;
        if probe.format != FORMAT_VERSION {
            return Err(version_error(probe.format));
        }
        Err(parse_error(full_error))
    }

    /// The canonical text: sorted, pretty JSON with LF line endings and a trailing newline.
    pub fn to_canonical_string(&self) -> String {
        self.to_canonical_string_with(&self.generated)
    }

    /// The canonical text of this snapshot with `generated` as its manifest of generated files
    /// (spares copying a whole snapshot to change its manifest).
    pub fn to_canonical_string_with(&self, generated: &BTreeMap<String, String>) -> String {
        /// [`Snapshot`], borrowed: the same fields, in the same order, serialise the same.
        #[derive(Serialize)]
        struct View<'a> {
            format: u32,
            release: &'a Release,
            schema: &'a Schema,
            in_flight: &'a [InFlight],
            generated: &'a BTreeMap<String, String>,
        }
        let Snapshot {
            format,
            release,
            schema,
            in_flight,
            generated: _,
        } = self;
        let view = View {
            format: *format,
            release,
            schema,
            in_flight,
            generated,
        };
        let mut out = Vec::with_capacity(64 * 1024);
        serde_json::to_writer_pretty(&mut out, &view).expect("a snapshot always serialises");
        out.push(b'\n');
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }
}

/// SHA-256 of a file's content, lowercase hex.
pub fn content_hash(content: &str) -> String {
    Sha256::digest(content.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_text_is_serde_json_of_the_snapshot() {
        let mut snapshot = Snapshot::default();
        snapshot.in_flight.push(InFlight {
            release: 1,
            catalog: CatalogRow::C8,
            description: "rename".into(),
        });
        snapshot
            .generated
            .insert("migrations/0001001_x.sql".into(), "ab".into());
        let mut expected = serde_json::to_string_pretty(&snapshot).unwrap();
        expected.push('\n');
        assert_eq!(snapshot.to_canonical_string(), expected);
    }

    #[test]
    fn round_trips_byte_identically() {
        let snapshot = Snapshot::default();
        let text = snapshot.to_canonical_string();
        let again = Snapshot::parse(&text, Path::new("s.json"))
            .unwrap()
            .to_canonical_string();
        assert_eq!(text, again);
        assert!(text.ends_with("}\n") && !text.contains('\r'));
    }

    #[test]
    fn broken_file_reports_line() {
        let text = "{\n  \"format\": 1,\n  \"release\": oops\n}\n";
        let err = Snapshot::parse(text, Path::new("migrate.snapshot.json")).unwrap_err();
        let SnapshotError::Parse { line, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(*line, 3);
        assert!(
            err.to_string().starts_with("migrate.snapshot.json:3:"),
            "{err}"
        );
    }

    #[test]
    fn an_in_flight_row_outside_the_catalog_is_refused() {
        let mut snapshot = Snapshot::default();
        snapshot.in_flight.push(InFlight {
            release: 1,
            catalog: CatalogRow::C8,
            description: "rename".into(),
        });
        let text = snapshot
            .to_canonical_string()
            .replace("\"C8\"", "\"C8; DROP\"");
        let err = Snapshot::parse(&text, Path::new("s.json")).unwrap_err();
        assert!(
            matches!(err, SnapshotError::Parse { .. })
                && err.to_string().contains("is not a catalog row or rule"),
            "{err}"
        );
    }

    #[test]
    fn newer_format_is_refused() {
        let err = Snapshot::parse("{\"format\": 99}", Path::new("s.json")).unwrap_err();
        assert!(matches!(err, SnapshotError::Version { found: 99, .. }));
    }
}
