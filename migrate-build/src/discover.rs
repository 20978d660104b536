//! Finds the declarations in a crate's sources: every struct with `#[derive(Table)]` and every
//! enum with `#[derive(PgEnum)]`, parsed with syn and handed to the shared parser in
//! `migrate-core` (the same one the derive uses).

use std::path::{Path, PathBuf};

use migrate_core::Diagnostic;
use migrate_core::declare::{self, DeclaredEnum, DeclaredTable};
use proc_macro2::Span;
use syn::punctuated::Punctuated;
use syn::{Item, Token};

use crate::Error;

/// One source file that was read.
#[derive(Debug)]
pub struct SourceFile {
    /// Its path.
    pub path: PathBuf,
    /// Its text.
    pub text: String,
    /// A span inside this file (to tell which file a diagnostic's span belongs to).
    pub anchor: Option<Span>,
}

/// Everything declared in the scanned sources.
#[derive(Debug, Default)]
pub struct Declarations {
    /// Files read, sorted by path.
    pub files: Vec<SourceFile>,
    /// Table structs.
    pub tables: Vec<DeclaredTable>,
    /// Enums.
    pub enums: Vec<DeclaredEnum>,
    /// Attribute errors (the derive reports them too, spanned; counted here so no plan is made).
    pub attribute_errors: Vec<Diagnostic>,
    /// Files that do not parse as Rust: rustc reports them, and no plan is made.
    pub unparsable: Vec<PathBuf>,
}

/// Lists the `.rs` files under the given files or folders, sorted, so output is deterministic.
pub fn rust_files(roots: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    for root in roots {
        collect(root, &mut out)?;
    }
    out.sort();
    out.dedup();
    Ok(out)
}

fn collect(path: &Path, out: &mut Vec<PathBuf>) -> Result<(), Error> {
    let io = |source| Error::Io {
        path: path.to_owned(),
        source,
    };
    let meta = std::fs::metadata(path).map_err(io)?;
    if meta.is_file() {
        if path.extension().is_some_and(|e| e == "rs") {
            out.push(path.to_owned());
        }
        return Ok(());
    }
    for entry in std::fs::read_dir(path).map_err(io)? {
        let entry = entry.map_err(io)?;
        collect(&entry.path(), out)?;
    }
    Ok(())
}

/// Reads and parses every file, collecting declarations.
pub fn discover(paths: &[PathBuf]) -> Result<Declarations, Error> {
    let mut found = Declarations::default();
    for path in paths {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.clone(),
            source,
        })?;
        let mut anchor = None;
        match syn::parse_file(&text) {
            Ok(file) => anchor = declarations_in(file, &mut found),
            Err(_) => found.unparsable.push(path.clone()),
        }
        found.files.push(SourceFile {
            path: path.clone(),
            text,
            anchor,
        });
    }
    Ok(found)
}

/// Collects the declarations of one parsed file (consumed). Returns a span inside the file, if
/// it declares anything.
pub fn declarations_in(file: syn::File, found: &mut Declarations) -> Option<Span> {
    let mut anchor = None;
    visit_items(file.items, found, &mut anchor);
    anchor
}

/// Items are consumed: each becomes the derive input without a copy.
fn visit_items(items: Vec<Item>, found: &mut Declarations, anchor: &mut Option<Span>) {
    for item in items {
        match item {
            Item::Struct(s) if derives(&s.attrs, "Table") => {
                anchor.get_or_insert(s.ident.span());
                match declare::parse_table(&s.into()) {
                    Ok(t) => found.tables.push(t),
                    Err(e) => found.attribute_errors.extend(e),
                }
            }
            Item::Enum(e) if derives(&e.attrs, "PgEnum") => {
                anchor.get_or_insert(e.ident.span());
                match declare::parse_enum(&e.into()) {
                    Ok(d) => found.enums.push(d),
                    Err(e) => found.attribute_errors.extend(e),
                }
            }
            Item::Mod(m) => {
                if let Some((_, items)) = m.content {
                    visit_items(items, found, anchor);
                }
            }
            _ => {}
        }
    }
}

/// Whether `#[derive(..., Name, ...)]` (or `path::Name`) is among the attributes.
fn derives(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("derive"))
        .any(|a| {
            a.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
                .is_ok_and(|paths| {
                    paths
                        .iter()
                        .any(|p| p.segments.last().is_some_and(|s| s.ident == name))
                })
        })
}
