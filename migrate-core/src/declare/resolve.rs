//! Stage 2, *resolve*: a declaration becomes a model [`Table`]. Column references are checked,
//! generated names are given, enum types and implicit foreign-key targets are looked up in a
//! [`Catalog`] (the declared schema in the build helper, the snapshot in the derive).

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::Span;

use super::{DeclaredEnum, DeclaredKey, DeclaredTable, DeclaredType, Spanned};
use crate::diagnostic::{Ctxt, Diagnostic};
use crate::model::{
    Check, Column, ColumnType, ForeignKey, Index, IndexKey, QualifiedName, Schema, Table, Unique,
};
use crate::sql::generated_name;

/// What resolution needs to know about other declarations.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    /// Rust enum identifier → PostgreSQL enum type.
    pub enums: BTreeMap<String, QualifiedName>,
    /// Table key → primary-key columns (for `references = "table"` without columns).
    pub primary_keys: BTreeMap<String, Vec<String>>,
}

impl Catalog {
    /// A catalog from an accepted schema (what the derive knows: the snapshot).
    pub fn from_schema(schema: &Schema) -> Self {
        Self {
            enums: schema
                .enums
                .values()
                .map(|e| (e.rust_name.clone(), e.name.clone()))
                .collect(),
            primary_keys: schema
                .tables
                .iter()
                .map(|(k, t)| (k.clone(), t.primary_key.clone()))
                .collect(),
        }
    }

    /// A catalog from every declaration in the crate (what the build helper knows).
    pub fn from_declarations(tables: &[DeclaredTable], enums: &[DeclaredEnum]) -> Self {
        Self {
            enums: enums
                .iter()
                .map(|e| (e.rust_name.clone(), e.name.clone()))
                .collect(),
            primary_keys: tables
                .iter()
                .map(|t| (t.name.key(), t.primary_key_columns()))
                .collect(),
        }
    }
}

/// A resolved table: the model plus the spans that let later stages point at declarations.
#[derive(Debug, Clone)]
pub struct Resolved<'a> {
    /// The declaration it came from.
    pub decl: &'a DeclaredTable,
    /// The model table.
    pub table: Table,
    /// Span of each index and constraint, by its (possibly generated) name.
    pub object_spans: BTreeMap<String, Span>,
    /// Names of columns and constraints whose resolution needs declarations the catalog does not
    /// have (a new enum type, a new referenced table); later stages leave them to the build helper.
    pub unresolved: BTreeSet<String>,
    /// Enum columns whose Rust type the catalog does not know: (column, Rust type, span).
    pub unknown_types: Vec<(String, String, Span)>,
}

impl DeclaredTable {
    /// Resolves this declaration into a model table, or returns every problem found.
    pub fn resolve<'a>(&'a self, catalog: &Catalog) -> Result<Resolved<'a>, Vec<Diagnostic>> {
        let mut cx = Ctxt::new();
        let resolved = resolve_inner(&mut cx, self, catalog);
        let diagnostics = cx.finish();
        if diagnostics.is_empty() {
            Ok(resolved)
        } else {
            Err(diagnostics)
        }
    }
}

fn resolve_inner<'a>(cx: &mut Ctxt, decl: &'a DeclaredTable, catalog: &Catalog) -> Resolved<'a> {
    let table_name = &decl.name.name;
    let mut unresolved = BTreeSet::new();
    let mut unknown_types = Vec::new();
    let mut object_spans = BTreeMap::new();

    let mut columns: Vec<Column> = Vec::new();
    for field in &decl.fields {
        if columns.iter().any(|c| c.name == field.column) {
            cx.error(
                field.span,
                format!("two fields map to the column `{}`", field.column),
            );
            continue;
        }
        let ty = match &field.ty {
            DeclaredType::Sql(ty) => ty.clone(),
            DeclaredType::RustEnum { ident, array_dims } => match catalog.enums.get(ident) {
                Some(name) => ColumnType::Enum {
                    name: name.clone(),
                    array_dims: *array_dims,
                },
                None => {
                    unresolved.insert(field.column.clone());
                    unknown_types.push((field.column.clone(), ident.clone(), field.ty_span));
                    ColumnType::Enum {
                        name: QualifiedName::new("?", ident.clone()),
                        array_dims: *array_dims,
                    }
                }
            },
        };
        if let Some(old) = &field.renamed_from
            && old.value == field.column
        {
            cx.error(
                old.span,
                "`renamed_from` names the column's current name; remove it",
            );
        }
        columns.push(Column {
            name: field.column.clone(),
            ty,
            nullable: field.nullable,
            default: field.default.as_ref().map(|d| d.value.clone()),
            identity: field.identity,
            backfill: field.backfill.as_ref().map(|b| b.value.clone()),
            renamed_from: None,
            convert: field.convert.as_ref().map(|c| c.value.clone()),
        });
    }

    let column_ref = |cx: &mut Ctxt, name: &Spanned<String>| -> Option<String> {
        match decl.field(&name.value) {
            Some(f) => Some(f.column.clone()),
            None => {
                let known: Vec<&str> = decl.fields.iter().map(|f| f.column.as_str()).collect();
                cx.error(
                    name.span,
                    format!(
                        "no column `{}` in `{}`; its columns are: {}",
                        name.value,
                        decl.rust_name,
                        known.join(", ")
                    ),
                );
                None
            }
        }
    };

    let primary_key: Vec<String> = decl
        .primary_key
        .iter()
        .flat_map(|pk| pk.value.iter())
        .filter_map(|c| column_ref(cx, c))
        .collect();
    for pk in &primary_key {
        if let Some(c) = columns.iter().find(|c| &c.name == pk)
            && c.nullable
        {
            let span = decl.field(pk).map_or(decl.span, |f| f.ty_span);
            cx.error(
                span,
                format!("primary-key column `{pk}` cannot be `Option<_>`"),
            );
        }
    }

    let mut uniques = Vec::new();
    for u in &decl.uniques {
        let cols: Vec<String> = u.columns.iter().filter_map(|c| column_ref(cx, c)).collect();
        let mut parts = vec![table_name.as_str()];
        parts.extend(cols.iter().map(String::as_str));
        let name = u
            .name
            .clone()
            .unwrap_or_else(|| generated_name(&parts, "key"));
        object_spans.insert(name.clone(), u.span);
        uniques.push(Unique {
            name,
            columns: cols,
        });
    }

    let mut indexes = Vec::new();
    for i in &decl.indexes {
        let keys: Vec<IndexKey> = i
            .keys
            .iter()
            .filter_map(|k| match k {
                DeclaredKey::Column(c) => column_ref(cx, c).map(IndexKey::Column),
                DeclaredKey::Expr(e) => Some(IndexKey::Expr(e.value.clone())),
            })
            .collect();
        let key_texts: Vec<String> = keys
            .iter()
            .map(|k| match k {
                IndexKey::Column(c) => c.clone(),
                IndexKey::Expr(e) => e.clone(),
            })
            .collect();
        let mut parts = vec![table_name.as_str()];
        parts.extend(key_texts.iter().map(String::as_str));
        let name = i
            .name
            .clone()
            .unwrap_or_else(|| generated_name(&parts, "idx"));
        object_spans.insert(name.clone(), i.span);
        indexes.push(Index {
            name,
            keys,
            unique: i.unique,
            method: i.method.clone(),
            predicate: i.predicate.clone(),
        });
    }

    let mut checks = Vec::new();
    for c in &decl.checks {
        let name = c.name.clone().unwrap_or_else(|| match &c.column {
            Some(col) => generated_name(&[table_name, col], "check"),
            None => generated_name(&[table_name, &c.expr], "check"),
        });
        object_spans.insert(name.clone(), c.span);
        checks.push(Check {
            name,
            expr: c.expr.clone(),
        });
    }

    let mut foreign_keys = Vec::new();
    for fk in &decl.foreign_keys {
        let cols: Vec<String> = fk
            .columns
            .iter()
            .filter_map(|c| column_ref(cx, c))
            .collect();
        let mut parts = vec![table_name.as_str()];
        parts.extend(cols.iter().map(String::as_str));
        let name = fk
            .name
            .clone()
            .unwrap_or_else(|| generated_name(&parts, "fkey"));
        let referenced_columns = if !fk.referenced_columns.is_empty() {
            fk.referenced_columns.clone()
        } else if fk.references == decl.name {
            primary_key.clone()
        } else {
            match catalog.primary_keys.get(&fk.references.key()) {
                Some(pk) if !pk.is_empty() => pk.clone(),
                Some(_) => {
                    cx.error(fk.span, format!("`{}` has no primary key; name the referenced columns: `references = \"{}(column)\"`", fk.references, fk.references.name));
                    Vec::new()
                }
                None => {
                    unresolved.insert(name.clone());
                    Vec::new()
                }
            }
        };
        if !referenced_columns.is_empty() && referenced_columns.len() != cols.len() {
            cx.error(
                fk.span,
                format!(
                    "{} referencing column(s) but {} referenced column(s)",
                    cols.len(),
                    referenced_columns.len()
                ),
            );
        }
        object_spans.insert(name.clone(), fk.span);
        foreign_keys.push(ForeignKey {
            name,
            columns: cols,
            references: fk.references.clone(),
            referenced_columns,
            on_delete: fk.on_delete,
            on_update: fk.on_update,
        });
    }

    let mut seen: BTreeMap<&str, ()> = BTreeMap::new();
    let names = uniques
        .iter()
        .map(|u| &u.name)
        .chain(indexes.iter().map(|i| &i.name))
        .chain(checks.iter().map(|c| &c.name))
        .chain(foreign_keys.iter().map(|f| &f.name));
    for name in names {
        if seen.insert(name, ()).is_some() {
            let span = object_spans.get(name).copied().unwrap_or(decl.span);
            cx.error(span, format!("two constraints or indexes of `{}` are named `{name}`; give one a `name = \"…\"`", decl.rust_name));
        }
    }
    let pk_name = generated_name(&[table_name], "pkey");
    if seen.contains_key(pk_name.as_str()) {
        cx.error(
            decl.span,
            format!("`{pk_name}` is the primary key's name; choose another"),
        );
    }

    if primary_key.is_empty() && !decl.fields.is_empty() {
        cx.push(
            Diagnostic::error(decl.span, format!("`{}` has no primary key", decl.rust_name))
                .help("mark the key field with `#[migrate(primary_key)]`, or list several on the struct: `#[migrate(primary_key(a, b))]`")
                .note("backfills walk the primary key and views need one to stay updatable through ON CONFLICT"),
        );
    }

    let mut table = Table {
        name: decl.name.clone(),
        rust_name: decl.rust_name.clone(),
        renamed_from: None,
        columns,
        primary_key,
        uniques,
        indexes,
        checks,
        foreign_keys,
        dropped_columns: Vec::new(),
    };
    table.canonicalize();
    Resolved {
        decl,
        table,
        object_spans,
        unresolved,
        unknown_types,
    }
}
