//! Stage 2, *resolve*: a declaration becomes a model [`Table`]. Column references are checked,
//! generated names are given, enum types and implicit foreign-key targets are looked up in a
//! [`NameIndex`] (the declared schema in the build helper, the snapshot in the derive).

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::Span;

use super::pgtypes::{self, LiteralType};
use super::{DeclaredEnum, DeclaredKey, DeclaredTable, DeclaredType, Spanned};
use crate::diagnostic::{Ctxt, Diagnostic};
use crate::model::FkAction;
use crate::model::ParseSqlType as _;
use crate::model::{
    Check, Column, ColumnType, ForeignKey, Index, IndexKey, PgType, QualifiedName, Schema, Table,
    Unique,
};
use crate::sql::{self, generated_name};

/// The names resolution looks up beyond one declaration: enum types by Rust name, primary keys
/// by table (what resolution needs to know about other declarations).
#[derive(Debug, Clone, Default)]
pub struct NameIndex {
    /// Rust enum identifier → PostgreSQL enum type.
    pub enums: BTreeMap<String, QualifiedName>,
    /// Table key → primary-key columns (for `references = "table"` without columns).
    pub primary_keys: BTreeMap<String, Vec<String>>,
    /// Whether every enum type of the crate is listed (the build helper's index): only then is
    /// a `column_type` that names no built-in type and no listed enum refused; the snapshot's
    /// index lacks the enums this release declares.
    pub complete: bool,
}

impl NameIndex {
    /// An index from an accepted schema (what the derive knows: the snapshot).
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
            complete: false,
        }
    }

    /// An index from every declaration in the crate (what the build helper knows).
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
            complete: true,
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
    /// Names of columns and constraints whose resolution needs declarations the name index does not
    /// have (a new enum type, a new referenced table); later stages leave them to the build helper.
    pub unresolved: BTreeSet<String>,
    /// Enum columns whose Rust type the name index does not know: (column, Rust type, span).
    pub unknown_types: Vec<(String, String, Span)>,
}

impl DeclaredTable {
    /// Resolves this declaration into a model table, or returns every problem found.
    pub fn resolve<'a>(&'a self, names: &NameIndex) -> Result<Resolved<'a>, Vec<Diagnostic>> {
        let mut cx = Ctxt::new();
        let resolved = resolve_inner(&mut cx, self, names);
        let diagnostics = cx.finish();
        if diagnostics.is_empty() {
            Ok(resolved)
        } else {
            Err(diagnostics)
        }
    }
}

fn resolve_inner<'a>(cx: &mut Ctxt, decl: &'a DeclaredTable, names: &NameIndex) -> Resolved<'a> {
    let mut unresolved = BTreeSet::new();
    let mut unknown_types = Vec::new();
    let mut object_spans = BTreeMap::new();

    let columns = resolve_columns(cx, decl, names, &mut unresolved, &mut unknown_types);
    let primary_key = resolve_primary_key(cx, decl, &columns);
    let uniques = resolve_uniques(cx, decl, &mut object_spans);
    let indexes = resolve_indexes(cx, decl, &mut object_spans);
    let checks = resolve_checks(decl, &mut object_spans);
    let foreign_keys = resolve_foreign_keys(
        cx,
        decl,
        names,
        &primary_key,
        &mut unresolved,
        &mut object_spans,
    );
    let object_names = uniques
        .iter()
        .map(|u| &u.name)
        .chain(indexes.iter().map(|i| &i.name))
        .chain(checks.iter().map(|c| &c.name))
        .chain(foreign_keys.iter().map(|f| &f.name));
    check_object_names(cx, decl, object_names, &object_spans);

    if primary_key.is_empty() && !decl.fields.is_empty() {
        cx.push(
            Diagnostic::error(decl.span, format!("`{}` has no primary key", decl.rust_name))
                .help("mark the key field with `#[migrate(primary_key)]`, or list several on the struct: `#[migrate(primary_key(a, b))]`")
                .note("backfills walk the primary key and views need one to stay updatable through ON CONFLICT"),
        );
    }

    check_renames(cx, decl);
    check_expressions(cx, decl);
    check_values(cx, decl, &columns);
    check_index_methods(
        cx,
        decl,
        &columns,
        &indexes,
        &uniques,
        &primary_key,
        &object_spans,
    );
    check_foreign_key_actions(cx, decl);
    check_own_namespace(cx, decl, &columns, &indexes, &uniques, &object_spans);

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
/// Columns in declaration order, with their types looked up: an enum or a `column_type` the
/// name index does not know leaves the column in `unresolved` (the build helper resolves it).
fn resolve_columns(
    cx: &mut Ctxt,
    decl: &DeclaredTable,
    names: &NameIndex,
    unresolved: &mut BTreeSet<String>,
    unknown_types: &mut Vec<(String, String, Span)>,
) -> Vec<Column> {
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
            DeclaredType::Sql(ty) => {
                if let (
                    ColumnType::Builtin {
                        ty: PgType::Other(name),
                        ..
                    },
                    Some(span),
                    None,
                ) = (ty, field.column_type_span, &field.extension)
                {
                    let is_enum = names
                        .enums
                        .values()
                        .any(|e| e.name == *name || e.key() == *name);
                    if !is_enum && names.complete {
                        cx.push(
                            Diagnostic::error(span, format!(
                                "`{name}` is neither a PostgreSQL built-in type nor a `#[derive(PgEnum)]` type of this crate"
                            ))
                            .help(format!(
                                "if an extension provides it, say which: `#[migrate(column_type = \"{name}\", extension = \"…\")]` (the extension must be installed before the migrations run); otherwise fix the type name"
                            )),
                        );
                    } else if !is_enum {
                        unresolved.insert(field.column.clone());
                    }
                }
                ty.clone()
            }
            DeclaredType::RustEnum { ident, array_dims } => match names.enums.get(ident) {
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

    columns
}

/// The SQL name of a column a constraint or index names (by SQL or Rust name), or an error
/// listing the table's columns.
fn column_ref(cx: &mut Ctxt, decl: &DeclaredTable, name: &Spanned<String>) -> Option<String> {
    match decl.field(&name.value) {
        Some(f) => Some(f.column.clone()),
        None => {
            let known: Vec<&str> = decl.fields.iter().map(|f| f.column.as_str()).collect();
            let mut d = Diagnostic::error(
                name.span,
                format!(
                    "no column `{}` in `{}`; its columns are: {}",
                    name.value,
                    decl.rust_name,
                    known.join(", ")
                ),
            );
            if let Some(f) = decl.fields.iter().find(|f| {
                f.renamed_from
                    .as_ref()
                    .is_some_and(|h| h.value == name.value)
            }) {
                d = d.help(format!(
                    "`{}` is the old name of `{}`, renamed in this release: write `{}`",
                    name.value, f.column, f.column
                ));
            }
            cx.push(d);
            None
        }
    }
}

/// The primary-key columns; none of them may be `Option<_>`.
fn resolve_primary_key(cx: &mut Ctxt, decl: &DeclaredTable, columns: &[Column]) -> Vec<String> {
    let primary_key: Vec<String> = decl
        .primary_key
        .iter()
        .flat_map(|pk| pk.value.iter())
        .filter_map(|c| column_ref(cx, decl, c))
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

    primary_key
}

/// Unique constraints, with their generated names.
fn resolve_uniques(
    cx: &mut Ctxt,
    decl: &DeclaredTable,
    object_spans: &mut BTreeMap<String, Span>,
) -> Vec<Unique> {
    let table_name = &decl.name.name;
    let mut uniques = Vec::new();
    for u in &decl.uniques {
        let cols: Vec<String> = u
            .columns
            .iter()
            .filter_map(|c| column_ref(cx, decl, c))
            .collect();
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

    uniques
}

/// Indexes, with their generated names.
fn resolve_indexes(
    cx: &mut Ctxt,
    decl: &DeclaredTable,
    object_spans: &mut BTreeMap<String, Span>,
) -> Vec<Index> {
    let table_name = &decl.name.name;
    let mut indexes = Vec::new();
    for i in &decl.indexes {
        let keys: Vec<IndexKey> = i
            .keys
            .iter()
            .filter_map(|k| match k {
                DeclaredKey::Column(c) => column_ref(cx, decl, c).map(IndexKey::Column),
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

    indexes
}

/// CHECK constraints, with their generated names.
fn resolve_checks(decl: &DeclaredTable, object_spans: &mut BTreeMap<String, Span>) -> Vec<Check> {
    let table_name = &decl.name.name;
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

    checks
}

/// Foreign keys, with their generated names and referenced columns: those of the target's
/// primary key when none are named (a target the name index does not know leaves the key in
/// `unresolved`).
fn resolve_foreign_keys(
    cx: &mut Ctxt,
    decl: &DeclaredTable,
    names: &NameIndex,
    primary_key: &[String],
    unresolved: &mut BTreeSet<String>,
    object_spans: &mut BTreeMap<String, Span>,
) -> Vec<ForeignKey> {
    let table_name = &decl.name.name;
    let mut foreign_keys = Vec::new();
    for fk in &decl.foreign_keys {
        let cols: Vec<String> = fk
            .columns
            .iter()
            .filter_map(|c| column_ref(cx, decl, c))
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
            primary_key.to_vec()
        } else {
            match names.primary_keys.get(&fk.references.key()) {
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

    foreign_keys
}

/// Index and constraint names are unique within the table, and none takes the primary key's.
fn check_object_names<'n>(
    cx: &mut Ctxt,
    decl: &DeclaredTable,
    names: impl Iterator<Item = &'n String>,
    object_spans: &BTreeMap<String, Span>,
) {
    let table_name = &decl.name.name;
    let mut seen: BTreeMap<&str, ()> = BTreeMap::new();
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
}

/// Renames that cannot be planned: two fields renamed from one column, a column renamed to a
/// name another field still declares (a swap, cycle or chain), a column both renamed and dropped.
fn check_renames(cx: &mut Ctxt, decl: &DeclaredTable) {
    let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
    for field in &decl.fields {
        let Some(hint) = &field.renamed_from else {
            continue;
        };
        if let Some(first) = seen.insert(&hint.value, &field.rust_name) {
            cx.push(
                Diagnostic::error(hint.span, format!(
                    "fields `{first}` and `{}` are both `renamed_from = \"{}\"`; one column can become only one",
                    field.rust_name, hint.value
                ))
                .help("keep `renamed_from` on the field that is the old column; the other is a new column"),
            );
        }
        if let Some(other) = decl
            .fields
            .iter()
            .find(|f| f.column == hint.value && f.column != field.column)
        {
            cx.push(
                Diagnostic::error(hint.span, format!(
                    "`renamed_from = \"{}\"`, but field `{}` still declares column `{}`: names that swap, cycle or chain in one release are refused",
                    hint.value, other.rust_name, hint.value
                ))
                .help("rename one column per release, through a name no other column has"),
            );
        }
        if let Some(dropped) = decl.drop_columns.iter().find(|d| d.value == hint.value) {
            cx.push(
                Diagnostic::error(
                    dropped.span,
                    format!(
                        "column `{}` is both dropped (`drop_column`) and renamed to `{}` (`renamed_from` on field `{}`); keep one",
                        hint.value, field.column, field.rust_name
                    ),
                )
                .help(format!(
                    "keep `drop_column` if its data goes (and `{}` is a new column), or `renamed_from` if `{}` is that column under a new name",
                    field.column, field.column
                )),
            );
        }
    }
}

/// The columns a CHECK, index expression or predicate reads must be the table's declared ones
/// (PostgreSQL refuses the statement otherwise, possibly midway through a contract).
fn check_expressions(cx: &mut Ctxt, decl: &DeclaredTable) {
    let mut exprs: Vec<(&str, Span, &str)> = Vec::new();
    for c in &decl.checks {
        exprs.push((&c.expr, c.span, "CHECK"));
    }
    for i in &decl.indexes {
        for k in &i.keys {
            if let DeclaredKey::Expr(e) = k {
                exprs.push((&e.value, e.span, "index expression"));
            }
        }
        if let Some(p) = &i.predicate {
            exprs.push((p, i.span, "index predicate"));
        }
    }
    for (expr, span, what) in exprs {
        let Ok(read) = sql::column_references(expr) else {
            continue;
        };
        for name in read {
            if decl.fields.iter().any(|f| f.column == name) {
                continue;
            }
            let known: Vec<&str> = decl.fields.iter().map(|f| f.column.as_str()).collect();
            let mut d = Diagnostic::error(
                span,
                format!(
                    "the {what} `{expr}` reads column `{name}`, which `{}` does not have; its columns are: {}",
                    decl.rust_name,
                    known.join(", ")
                ),
            );
            if let Some(f) = decl.fields.iter().find(|f| {
                f.renamed_from
                    .as_ref()
                    .is_some_and(|h| h.value.to_lowercase() == name)
            }) {
                d = d.help(format!(
                    "`{name}` is the old name of `{}`, renamed in this release: write `{}` (the plan maps it onto the physical column)",
                    f.column, f.column
                ));
            } else if let Some(f) = decl
                .fields
                .iter()
                .find(|f| f.column.to_lowercase() == name || f.rust_name == name)
            {
                d = d.help(format!(
                    "SQL names the column `{}`: write {}",
                    f.column,
                    sql::quote_ident(&f.column)
                ));
            } else {
                d = d.help("name one of the table's columns (their SQL names), or declare the missing field");
            }
            cx.push(d);
        }
    }
}

/// [`literal_of`] of a default's text, parsing only text that can hold a literal (a crate has
/// many `now()` and `0` defaults, and parsing costs microseconds each).
fn literal_of_text(text: &str) -> Option<(LiteralType, Option<LiteralType>)> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return Some((
            LiteralType::Number {
                integer: text.len() < 19,
            },
            None,
        ));
    }
    let maybe = text.starts_with(['\'', '-', '+', '(', 'E', 'e'])
        || text.starts_with(|c: char| c.is_ascii_digit())
        || text.contains("::")
        || text.starts_with("CAST")
        || text.eq_ignore_ascii_case("true")
        || text.eq_ignore_ascii_case("false");
    if !maybe {
        return None;
    }
    sql::parse_expr(text).ok().as_ref().and_then(literal_of)
}

/// The literal part of a default or backfill, as PostgreSQL types it: a literal, a signed
/// number, or a cast of one (`'x'::text`); anything else (a function call, an operator) is left
/// to the server.
fn literal_of(expr: &sqlparser::ast::Expr) -> Option<(LiteralType, Option<LiteralType>)> {
    use sqlparser::ast::{Expr, UnaryOperator, Value};
    match expr {
        Expr::Nested(inner) => literal_of(inner),
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => Some((
                LiteralType::Number {
                    integer: n.parse::<i64>().is_ok(),
                },
                None,
            )),
            Value::SingleQuotedString(t) | Value::EscapedStringLiteral(t) => {
                Some((LiteralType::Unknown(t.clone()), None))
            }
            Value::Boolean(_) => Some((LiteralType::Boolean, None)),
            _ => None,
        },
        Expr::UnaryOp {
            op: UnaryOperator::Minus | UnaryOperator::Plus,
            expr,
        } => match literal_of(expr)? {
            (n @ LiteralType::Number { .. }, None) => Some((n, None)),
            _ => None,
        },
        Expr::Cast {
            expr, data_type, ..
        } => {
            let cast = ColumnType::parse_sql(&data_type.to_string()).ok()?;
            let inner = literal_of(expr).and_then(|(l, c)| match c {
                None => Some(l),
                Some(_) => None,
            });
            Some((LiteralType::Cast(cast), inner))
        }
        _ => None,
    }
}

/// A default (or backfill, which is a default until contract) that PostgreSQL cannot assign to
/// the column, where the declaration alone decides it: literals and casts of literals.
fn check_values(cx: &mut Ctxt, decl: &DeclaredTable, columns: &[Column]) {
    for field in &decl.fields {
        let Some(column) = columns.iter().find(|c| c.name == field.column) else {
            continue;
        };
        for (what, value) in [("default", &field.default), ("backfill", &field.backfill)] {
            let Some(value) = value else { continue };
            let Some((literal, inner)) = literal_of_text(&value.value) else {
                continue;
            };
            // `'abc'::integer`: the inner literal must be input for the cast's type first.
            let problem = match (&literal, &inner) {
                (LiteralType::Cast(cast), Some(inner)) => pgtypes::default_refusal(inner, cast),
                _ => None,
            }
            .or_else(|| pgtypes::default_refusal(&literal, &column.ty))
            .or_else(|| pgtypes::value_out_of_range(&value.value, &column.ty));
            if let Some(problem) = problem {
                cx.push(
                    Diagnostic::error(
                        value.span,
                        format!(
                            "`{what} = \"{}\"` cannot be a value of column `{}`: {problem}",
                            value.value, column.name
                        ),
                    )
                    .help(format!(
                        "write a value of type {} (PostgreSQL would refuse this one when the migration runs)",
                        column.ty
                    )),
                );
            }
        }
    }
}

/// Index methods (and the btree behind primary keys and unique constraints) need a default
/// operator class for each plain column they index: `gin` on a `bigint` is refused.
fn check_index_methods(
    cx: &mut Ctxt,
    decl: &DeclaredTable,
    columns: &[Column],
    indexes: &[Index],
    uniques: &[Unique],
    primary_key: &[String],
    object_spans: &BTreeMap<String, Span>,
) {
    let report = |cx: &mut Ctxt, span: Span, method: &str, what: &str, column: &str| {
        let Some(c) = columns.iter().find(|c| c.name == column) else {
            return;
        };
        if pgtypes::method_indexes(method, &c.ty) != Some(false) {
            return;
        }
        let can = pgtypes::methods_for(&c.ty);
        let help = if can.is_empty() {
            format!(
                "no index method indexes {} by default; index an expression instead (`expr = \"…\"` on the struct), or drop the {what}",
                c.ty
            )
        } else {
            format!(
                "use a method that indexes {}: {}{}",
                c.ty,
                can.join(", "),
                if what == "index" {
                    " (`method = \"…\"`; btree is the default)"
                } else {
                    ""
                }
            )
        };
        cx.push(
            Diagnostic::error(
                span,
                format!(
                    "{method} cannot index column `{column}` of type {}: PostgreSQL has no default {method} operator class for it ({what})",
                    c.ty
                ),
            )
            .help(help),
        );
    };
    for index in indexes {
        let span = object_spans.get(&index.name).copied().unwrap_or(decl.span);
        for key in &index.keys {
            if let IndexKey::Column(column) = key {
                report(cx, span, &index.method, "index", column);
            }
        }
    }
    for unique in uniques {
        let span = object_spans.get(&unique.name).copied().unwrap_or(decl.span);
        for column in &unique.columns {
            report(cx, span, "btree", "unique constraint", column);
        }
    }
    let pk_span = decl.primary_key.as_ref().map_or(decl.span, |pk| pk.span);
    for column in primary_key {
        report(cx, pk_span, "btree", "primary key", column);
    }
}

/// `SET NULL` (or `SET DEFAULT` with no default) on a NOT NULL referencing column fails the
/// delete or update of every referenced row.
fn check_foreign_key_actions(cx: &mut Ctxt, decl: &DeclaredTable) {
    for fk in &decl.foreign_keys {
        let fields: Vec<_> = fk
            .columns
            .iter()
            .filter_map(|c| decl.field(&c.value))
            .collect();
        for (i, (action, verb)) in [(fk.on_delete, "deleting"), (fk.on_update, "updating")]
            .into_iter()
            .enumerate()
        {
            let culprit = fields.iter().find(|f| {
                !f.nullable
                    && (action == FkAction::SetNull
                        || (action == FkAction::SetDefault && f.default.is_none()))
            });
            let Some(field) = culprit else { continue };
            let span = fk.action_spans[i].unwrap_or(fk.span);
            let sets = if action == FkAction::SetNull {
                "sets it to NULL"
            } else {
                "sets it to its default, which is NULL"
            };
            cx.push(
                Diagnostic::error(span, format!(
                    "`{}` {sets}, but column `{}` is NOT NULL: {verb} a referenced row would fail",
                    action.sql().to_ascii_lowercase(),
                    field.column
                ))
                .help("make the field `Option<_>`, or use `\"cascade\"`, `\"restrict\"` or `\"no action\"`"),
            );
        }
    }
}

/// One table's own names in its schema's namespace (tables, indexes, sequences and types share
/// it): the table, its primary key's and unique constraints' indexes, its indexes and identity
/// sequences must all differ. Across tables, the build helper checks the same namespace.
fn check_own_namespace(
    cx: &mut Ctxt,
    decl: &DeclaredTable,
    columns: &[Column],
    indexes: &[Index],
    uniques: &[Unique],
    object_spans: &BTreeMap<String, Span>,
) {
    let names = relation_names(decl, columns, indexes, uniques, object_spans);
    for (i, (name, kind, span)) in names.iter().enumerate() {
        // Indexes, unique constraints and the primary key among themselves are checked above.
        let Some((_, first, _)) = names[..i].iter().find(|(n, k, _)| {
            n == name
                && [*k, *kind]
                    .iter()
                    .any(|k| matches!(k, RelationKind::Table | RelationKind::Sequence))
        }) else {
            continue;
        };
        cx.push(
            Diagnostic::error(*span, format!(
                "the {} `{name}` has the name of `{}`'s {}; PostgreSQL keeps tables, indexes, sequences and types in one namespace per schema",
                kind.describe(),
                decl.rust_name,
                first.describe()
            ))
            .help("give the index or constraint another `name = \"…\"`, or the table another `table_name`"),
        );
    }
}

/// What a name in a schema's relation namespace belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelationKind {
    /// The table itself (and its row type).
    Table,
    /// The index of the primary key.
    PrimaryKey,
    /// The index of a unique constraint.
    Unique,
    /// An index.
    Index,
    /// An identity column's sequence.
    Sequence,
}

impl RelationKind {
    /// How messages name it.
    pub fn describe(self) -> &'static str {
        match self {
            RelationKind::Table => "table",
            RelationKind::PrimaryKey => "primary key's index",
            RelationKind::Unique => "unique constraint's index",
            RelationKind::Index => "index",
            RelationKind::Sequence => "identity sequence",
        }
    }
}

/// Every name a table puts in its schema's relation namespace, with what it is and where it is
/// declared.
fn relation_names(
    decl: &DeclaredTable,
    columns: &[Column],
    indexes: &[Index],
    uniques: &[Unique],
    object_spans: &BTreeMap<String, Span>,
) -> Vec<(String, RelationKind, Span)> {
    let table = &decl.name.name;
    let span_of = |n: &str| object_spans.get(n).copied().unwrap_or(decl.span);
    let mut out = vec![(table.clone(), RelationKind::Table, decl.span)];
    if let Some(pk) = &decl.primary_key {
        out.push((
            generated_name(&[table], "pkey"),
            RelationKind::PrimaryKey,
            pk.span,
        ));
    }
    // Identity sequences come with the table, before any index: a collision is the index's.
    for c in columns.iter().filter(|c| c.identity) {
        let span = decl.field(&c.name).map_or(decl.span, |f| f.span);
        out.push((
            generated_name(&[table, &c.name], "seq"),
            RelationKind::Sequence,
            span,
        ));
    }
    for u in uniques {
        out.push((u.name.clone(), RelationKind::Unique, span_of(&u.name)));
    }
    for i in indexes {
        out.push((i.name.clone(), RelationKind::Index, span_of(&i.name)));
    }
    out
}

impl Resolved<'_> {
    /// Every name this table puts in its schema's relation namespace (tables, indexes,
    /// sequences and types share it), with what it is and the span of its declaration.
    pub fn relation_names(&self) -> Vec<(String, RelationKind, Span)> {
        relation_names(
            self.decl,
            &self.table.columns,
            &self.table.indexes,
            &self.table.uniques,
            &self.object_spans,
        )
    }
}

/// A foreign key whose columns' types PostgreSQL cannot compare with the referenced columns'
/// (`text` referencing `integer`; see [`pgtypes::foreign_key_compatible`]). `referenced` finds a
/// table as the caller knows it: the snapshot in the derive, the declarations in the build
/// helper. A table it does not find is not checked.
pub fn check_foreign_key_types<'t>(
    r: &Resolved<'_>,
    referenced: impl Fn(&QualifiedName) -> Option<&'t Table>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for fk in &r.table.foreign_keys {
        let target = if fk.references == r.table.name {
            Some(&r.table)
        } else {
            referenced(&fk.references)
        };
        let Some(target) = target else { continue };
        for (col, ref_col) in fk.columns.iter().zip(&fk.referenced_columns) {
            let (Some(c), Some(rc)) = (r.table.column(col), target.column(ref_col)) else {
                continue;
            };
            if pgtypes::foreign_key_compatible(&c.ty, &rc.ty) != Some(false) {
                continue;
            }
            let span = r.object_spans.get(&fk.name).copied().unwrap_or(r.decl.span);
            out.push(
                Diagnostic::error(span, format!(
                    "foreign key `{}`: column `{col}` is {} but `{}.{ref_col}` is {}, and PostgreSQL has no equality between them, so it cannot implement the key",
                    fk.name, c.ty, fk.references, rc.ty
                ))
                .help(format!(
                    "declare `{col}` with the referenced column's type, {} (integers of other widths are accepted)",
                    rc.ty
                )),
            );
        }
    }
    out
}

/// A string default of an enum column must be one of the enum's labels. `labels` finds an
/// enum's labels as the caller knows them; only the build helper knows the labels this release
/// adds, so the derive does not run this check.
pub fn check_enum_defaults<'t>(
    r: &Resolved<'_>,
    labels: impl Fn(&QualifiedName) -> Option<&'t [String]>,
) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for field in &r.decl.fields {
        let Some(column) = r.table.column(&field.column) else {
            continue;
        };
        let ColumnType::Enum {
            name,
            array_dims: 0,
        } = &column.ty
        else {
            continue;
        };
        let Some(known) = labels(name) else { continue };
        for (what, value) in [("default", &field.default), ("backfill", &field.backfill)] {
            let Some(value) = value else { continue };
            let literal = literal_of_text(&value.value);
            let label = match literal {
                Some((LiteralType::Unknown(label), None)) => label,
                // `'x'::text` is refused as a type mismatch already; `'x'::shade` is a label.
                Some((
                    LiteralType::Cast(ColumnType::Builtin {
                        ty: PgType::Other(_),
                        ..
                    }),
                    Some(LiteralType::Unknown(label)),
                )) => label,
                _ => continue,
            };
            if known.contains(&label) {
                continue;
            }
            out.push(
                Diagnostic::error(value.span, format!(
                    "`{what} = \"{}\"`: `{label}` is not a label of enum `{name}`; its labels are: {}",
                    value.value,
                    known.join(", ")
                ))
                .help("use one of the labels (as `rename_all`/`rename` spell them), or add the variant to the enum"),
            );
        }
    }
    out
}
