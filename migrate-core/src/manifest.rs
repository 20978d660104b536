//! What the build helper saw: every `#[derive(Table)]` struct and `#[derive(PgEnum)]` enum it
//! found by following the module tree, each with a fingerprint of its declaration as the
//! compiler hands it to the derive (after `#[cfg]` and `#[cfg_attr]`). The helper writes it to
//! `OUT_DIR`; the derive looks itself up in it, so a struct the helper could not see (generated
//! by a macro, in a file no `mod` reaches) or saw otherwise (a `cfg` it evaluated differently)
//! is a compile error instead of a table that silently does not exist.
//!
//! Text in, text out: reading and writing the file is the callers' business.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::ToTokens;
use syn::DeriveInput;

use crate::access::Binding;

/// The first line of a manifest file (its format version).
const HEADER: &str = "# migrate-build manifest 1";

/// The items the build helper saw, and the files it read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Manifest {
    /// False when some source could not be read or parsed: the derive then checks nothing (the
    /// compiler reports the broken source, and every struct would look unseen).
    pub complete: bool,
    /// The files the helper read (as canonical paths where it could).
    pub files: BTreeSet<String>,
    /// Item name → (file, fingerprint) pairs of every declaration with that name.
    pub items: BTreeMap<String, BTreeSet<(String, String)>>,
    /// The release the crate's accessors bind to, as the helper decided it.
    pub binding: Option<Binding>,
}

/// Why a manifest's text was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ManifestError {
    /// The first line is not this version's header.
    #[error("not a manifest of this version (expected `{HEADER}`)")]
    Version,
    /// The second line is neither `complete` nor `partial`.
    #[error("line 2: expected complete or partial, found {found:?}")]
    Completeness {
        /// The line found, if any.
        found: Option<String>,
    },
    /// An `item` line without its three parts.
    #[error("line {line}: malformed item")]
    MalformedItem {
        /// The line number (from 1).
        line: usize,
    },
    /// A `bind` line that is not `bind <release> accepted|pending <views schema>`, or names a
    /// schema that is not a valid identifier.
    #[error("line {line}: malformed binding")]
    MalformedBinding {
        /// The line number (from 1).
        line: usize,
    },
    /// A line that is neither `file` nor `item`.
    #[error("line {line}: unexpected `{text}`")]
    Unexpected {
        /// The line number (from 1).
        line: usize,
        /// The line.
        text: String,
    },
}

/// What the manifest says about one declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// Seen exactly so.
    Seen,
    /// An item of this name was seen in this file, declared otherwise.
    Differs,
    /// The file was read, but no item of this name in it.
    NotInFile,
    /// The file was never read.
    FileNotRead,
}

impl Manifest {
    /// An empty, complete manifest.
    pub fn new() -> Self {
        Manifest {
            complete: true,
            ..Manifest::default()
        }
    }

    /// Records one item.
    pub fn insert(&mut self, name: String, file: String, fingerprint: String) {
        self.items
            .entry(name)
            .or_default()
            .insert((file, fingerprint));
    }

    /// Where `name` with `fingerprint`, declared in `file` (`None`: unknown, then any file
    /// matches), stands.
    pub fn lookup(&self, name: &str, file: Option<&str>, fingerprint: &str) -> Lookup {
        let in_file = |f: &str| file.is_none_or(|file| file == f);
        if let Some(seen) = self.items.get(name) {
            if seen.iter().any(|(f, p)| in_file(f) && p == fingerprint) {
                return Lookup::Seen;
            }
            if seen.iter().any(|(f, _)| in_file(f)) {
                return Lookup::Differs;
            }
        }
        match file {
            Some(file) if !self.files.contains(file) => Lookup::FileNotRead,
            _ => Lookup::NotInFile,
        }
    }

    /// The file's text: sorted lines, so it is deterministic.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{HEADER}");
        out.push_str(if self.complete {
            "complete\n"
        } else {
            "partial\n"
        });
        if let Some(b) = &self.binding {
            let state = if b.pending { "pending" } else { "accepted" };
            let _ = writeln!(out, "bind {} {state} {}", b.release, b.views_schema);
        }
        for file in &self.files {
            let _ = writeln!(out, "file {file}");
        }
        for (name, seen) in &self.items {
            for (file, fingerprint) in seen {
                let _ = writeln!(out, "item {fingerprint} {name} {file}");
            }
        }
        out
    }

    /// Parses [`Manifest::to_text`]'s output.
    pub fn parse(text: &str) -> Result<Manifest, ManifestError> {
        let mut lines = text.lines();
        if lines.next() != Some(HEADER) {
            return Err(ManifestError::Version);
        }
        let complete = match lines.next() {
            Some("complete") => true,
            Some("partial") => false,
            other => {
                return Err(ManifestError::Completeness {
                    found: other.map(str::to_owned),
                });
            }
        };
        let mut manifest = Manifest {
            complete,
            ..Manifest::default()
        };
        for (n, line) in lines.enumerate() {
            if let Some(file) = line.strip_prefix("file ") {
                manifest.files.insert(file.to_owned());
            } else if let Some(rest) = line.strip_prefix("bind ") {
                let malformed = ManifestError::MalformedBinding { line: n + 3 };
                let mut parts = rest.splitn(3, ' ');
                let (Some(release), Some(state), Some(schema)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return Err(malformed);
                };
                let pending = match state {
                    "pending" => true,
                    "accepted" => false,
                    _ => return Err(malformed),
                };
                // The schema reaches generated SQL: only a name the snapshot could hold.
                if crate::sql::check_ident(schema).is_err() {
                    return Err(malformed);
                }
                manifest.binding = Some(Binding {
                    release: release.parse().map_err(|_| malformed)?,
                    views_schema: schema.to_owned(),
                    pending,
                });
            } else if let Some(rest) = line.strip_prefix("item ") {
                let mut parts = rest.splitn(3, ' ');
                match (parts.next(), parts.next(), parts.next()) {
                    (Some(fp), Some(name), Some(file)) => {
                        manifest.insert(name.to_owned(), file.to_owned(), fp.to_owned())
                    }
                    _ => return Err(ManifestError::MalformedItem { line: n + 3 }),
                }
            } else {
                return Err(ManifestError::Unexpected {
                    line: n + 3,
                    text: line.to_owned(),
                });
            }
        }
        Ok(manifest)
    }
}

/// A fingerprint of what decides a declaration's table or type: its name, generics, the
/// `#[migrate]` attributes, and each field's (or variant's) name, type and `#[migrate]`
/// attributes. Doc comments and other attributes do not count. Spacing does not count either,
/// so the tokens rustc hands the derive and the ones syn parses from the file agree.
pub fn fingerprint(input: &DeriveInput) -> String {
    let mut h = Fnv::new();
    h.text(&input.ident.to_string());
    h.tokens(input.generics.to_token_stream());
    h.migrate_attrs(&input.attrs);
    match &input.data {
        syn::Data::Struct(s) => {
            h.text("struct");
            h.fields(&s.fields);
        }
        syn::Data::Enum(e) => {
            h.text("enum");
            for v in &e.variants {
                h.text(&v.ident.to_string());
                h.migrate_attrs(&v.attrs);
                h.fields(&v.fields);
                if let Some((_, expr)) = &v.discriminant {
                    h.tokens(expr.to_token_stream());
                }
            }
        }
        syn::Data::Union(u) => {
            h.text("union");
            for f in &u.fields.named {
                h.field(f.ident.as_ref().map(ToString::to_string), f);
            }
        }
    }
    format!("{:016x}", h.0)
}

/// FNV-1a, 64 bits: deterministic in every process and on every machine, which the standard
/// library's hasher does not promise.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    fn bytes(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
        // A separator no token contains, so `ab` `c` differs from `a` `bc`.
        self.0 ^= 0xff;
        self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
    }

    fn text(&mut self, text: &str) {
        self.bytes(text.as_bytes());
    }

    fn tokens(&mut self, tokens: TokenStream) {
        for tt in tokens {
            match tt {
                TokenTree::Ident(i) => self.text(&i.to_string()),
                TokenTree::Punct(p) => self.bytes(&[p.as_char() as u8]),
                TokenTree::Literal(l) => self.text(&l.to_string()),
                // Invisible groups (from macro fragments) are transparent.
                TokenTree::Group(g) if g.delimiter() == Delimiter::None => self.tokens(g.stream()),
                TokenTree::Group(g) => {
                    let (open, close) = match g.delimiter() {
                        Delimiter::Parenthesis => ("(", ")"),
                        Delimiter::Brace => ("{", "}"),
                        Delimiter::Bracket => ("[", "]"),
                        Delimiter::None => ("", ""),
                    };
                    self.text(open);
                    self.tokens(g.stream());
                    self.text(close);
                }
            }
        }
    }

    fn migrate_attrs(&mut self, attrs: &[syn::Attribute]) {
        for a in attrs.iter().filter(|a| a.path().is_ident("migrate")) {
            self.tokens(a.meta.to_token_stream());
        }
    }

    fn fields(&mut self, fields: &syn::Fields) {
        for (i, f) in fields.iter().enumerate() {
            let name = f
                .ident
                .as_ref()
                .map_or_else(|| i.to_string(), ToString::to_string);
            self.field(Some(name), f);
        }
    }

    fn field(&mut self, name: Option<String>, f: &syn::Field) {
        self.text(name.as_deref().unwrap_or(""));
        self.tokens(f.ty.to_token_stream());
        self.migrate_attrs(&f.attrs);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fp(src: &str) -> String {
        fingerprint(&syn::parse_str(src).unwrap())
    }

    #[test]
    fn spacing_docs_and_other_attributes_do_not_count() {
        let a = fp("#[migrate(table_name = \"users\")] struct User { id: Option<i64> }");
        let b = fp(
            "/// Users.\n#[derive(Debug)]\n#[migrate( table_name = \"users\" )]\npub struct User {\n    /// The key.\n    pub id : Option < i64 >,\n}",
        );
        assert_eq!(a, b);
    }

    #[test]
    fn fields_types_and_migrate_attributes_count() {
        let base = fp("struct User { id: i64 }");
        for other in [
            "struct User { id: i32 }",
            "struct User { id: i64, name: String }",
            "struct User { #[migrate(primary_key)] id: i64 }",
            "#[migrate(table_name = \"u\")] struct User { id: i64 }",
            "struct Users { id: i64 }",
            "struct User { ident: i64 }",
        ] {
            assert_ne!(fp(other), base, "{other}");
        }
    }

    #[test]
    fn the_text_round_trips_and_lookups_name_the_reason() {
        let mut m = Manifest::new();
        m.files.insert("/crate/src/lib.rs".into());
        m.files.insert("/crate/src/a b.rs".into());
        m.insert("User".into(), "/crate/src/a b.rs".into(), "00ff".into());
        let text = m.to_text();
        assert_eq!(Manifest::parse(&text).unwrap(), m);
        let file = Some("/crate/src/a b.rs");
        assert_eq!(m.lookup("User", file, "00ff"), Lookup::Seen);
        assert_eq!(m.lookup("User", None, "00ff"), Lookup::Seen);
        assert_eq!(m.lookup("User", file, "0000"), Lookup::Differs);
        assert_eq!(m.lookup("Other", file, "00ff"), Lookup::NotInFile);
        assert_eq!(
            m.lookup("User", Some("/crate/src/lib.rs"), "00ff"),
            Lookup::NotInFile
        );
        assert_eq!(
            m.lookup("User", Some("/elsewhere.rs"), "00ff"),
            Lookup::FileNotRead
        );
        assert_eq!(
            Manifest::parse("something else").unwrap_err().to_string(),
            "not a manifest of this version (expected `# migrate-build manifest 1`)"
        );
        assert_eq!(
            Manifest::parse(&format!("{HEADER}\nmaybe\n"))
                .unwrap_err()
                .to_string(),
            "line 2: expected complete or partial, found Some(\"maybe\")"
        );
        assert_eq!(
            Manifest::parse(&format!("{HEADER}\ncomplete\nitem x\nstray"))
                .unwrap_err()
                .to_string(),
            "line 3: malformed item"
        );
    }

    #[test]
    fn the_binding_round_trips_and_a_hostile_schema_is_refused() {
        let mut m = Manifest::new();
        m.binding = Some(crate::access::Binding {
            release: 7,
            views_schema: "release 0007 \"x\"".to_owned(),
            pending: true,
        });
        let text = m.to_text();
        assert!(
            text.contains("\nbind 7 pending release 0007 \"x\"\n"),
            "{text}"
        );
        assert_eq!(Manifest::parse(&text).unwrap(), m);
        for bad in [
            "bind 7 pending",
            "bind x accepted release_0001",
            "bind 7 maybe release_0001",
            "bind 7 accepted ",
            "bind 7 accepted a$$b",
        ] {
            let text = format!("{HEADER}\ncomplete\n{bad}\n");
            assert_eq!(
                Manifest::parse(&text).unwrap_err(),
                ManifestError::MalformedBinding { line: 3 },
                "{bad}"
            );
        }
    }
}
