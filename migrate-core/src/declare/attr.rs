//! The `#[migrate(...)]` attribute grammar, parsed with `syn::meta`.
//!
//! Every problem becomes a spanned diagnostic in a [`Ctxt`]; parsing carries on with the next
//! attribute so the user sees all mistakes at once. Duplicate keys are reported on the second use.

use proc_macro2::Span;
use syn::meta::ParseNestedMeta;
use syn::spanned::Spanned as _;
use syn::{Data, DeriveInput, Fields, LitStr};

use super::types::{DeclaredType, map_rust_type};
use super::{
    DeclaredCheck, DeclaredCompute, DeclaredEnum, DeclaredField, DeclaredForeignKey, DeclaredIndex,
    DeclaredKey, DeclaredTable, DeclaredUnique, Spanned, snake_case,
};
use crate::diagnostic::{Ctxt, Diagnostic};
use crate::model::ParseSqlType as _;
use crate::model::{ColumnType, Conversion, FkAction, PgType, QualifiedName};
use crate::sql;

/// The helper attribute's name.
pub const ATTR: &str = "migrate";

const STRUCT_KEYS: &str = "table_name, schema, primary_key(..), unique(..), index(..), check(..), \
    foreign_key(..), renamed_from, drop, drop_column, allow_unsafe";
const FIELD_KEYS: &str = "column_name, column_type, extension, primary_key, unique, index, default, check, \
    backfill, convert(to_new, to_old), compute(with, from(..)), references, on_delete, on_update, identity, renamed_from, skip, allow_unsafe";
const INDEX_KEYS: &str = "columns(..), expr, name, method, where, unique";
const FK_KEYS: &str = "columns(..), references, on_delete, on_update, name";

/// Parses a struct with `#[derive(Table)]`.
pub fn parse_table(input: &DeriveInput) -> Result<DeclaredTable, Vec<Diagnostic>> {
    let mut cx = Ctxt::new();
    let table = parse_table_inner(&mut cx, input);
    let diagnostics = cx.finish();
    if diagnostics.is_empty() {
        Ok(table)
    } else {
        Err(diagnostics)
    }
}

/// Parses an enum with `#[derive(PgEnum)]`.
pub fn parse_enum(input: &DeriveInput) -> Result<DeclaredEnum, Vec<Diagnostic>> {
    let mut cx = Ctxt::new();
    let declared = parse_enum_inner(&mut cx, input);
    let diagnostics = cx.finish();
    if diagnostics.is_empty() {
        Ok(declared)
    } else {
        Err(diagnostics)
    }
}

fn migrate_attrs(attrs: &[syn::Attribute]) -> impl Iterator<Item = &syn::Attribute> {
    attrs.iter().filter(|a| a.path().is_ident(ATTR))
}

/// Stores a value once; a second use is an error on the second use's span.
fn set_once<T>(cx: &mut Ctxt, slot: &mut Option<Spanned<T>>, value: T, span: Span, key: &str) {
    if slot.is_some() {
        cx.error(span, format!("duplicate migrate attribute `{key}`"));
    } else {
        *slot = Some(Spanned::new(value, span));
    }
}

fn key_of(meta: &ParseNestedMeta) -> String {
    meta.path
        .get_ident()
        .map(|i| i.to_string().trim_start_matches("r#").to_owned())
        .unwrap_or_else(|| {
            let path = &meta.path;
            quote::quote!(#path).to_string().replace(' ', "")
        })
}

/// `path.span()` (the join of its tokens' spans), without printing a one-identifier path.
fn path_span(path: &syn::Path) -> Span {
    match path.get_ident() {
        Some(ident) => ident.span(),
        None => path.span(),
    }
}

/// `ty.span()`, the join of the first and the last of its tokens' spans, without printing the
/// type to tokens when it is a plain path such as `Option<chrono::DateTime<Utc>>`.
fn type_span(ty: &syn::Type) -> Span {
    if let syn::Type::Path(p) = ty
        && p.qself.is_none()
        && p.path.leading_colon.is_none()
        && let (Some(first), Some(last)) = (p.path.segments.first(), p.path.segments.last())
    {
        let start = first.ident.span();
        match &last.arguments {
            syn::PathArguments::None if p.path.segments.len() == 1 => return start,
            syn::PathArguments::None => return start.join(last.ident.span()).unwrap_or(start),
            syn::PathArguments::AngleBracketed(args) => {
                return start.join(args.gt_token.spans[0]).unwrap_or(start);
            }
            syn::PathArguments::Parenthesized(_) => {}
        }
    }
    ty.span()
}

fn lit(meta: &ParseNestedMeta) -> syn::Result<LitStr> {
    meta.value()?.parse::<LitStr>()
}

/// A schema name: an identifier, and not one of the names the tool gives release schemas of
/// views (`release_0001`, …), which contract drops.
fn schema_lit(meta: &ParseNestedMeta) -> syn::Result<Spanned<String>> {
    let v = ident_lit(meta)?;
    if v.value.contains('.') {
        return Err(syn::Error::new(
            v.span,
            format!(
                "`{}` holds a dot, and `schema.table` could then be read two ways; choose a schema name without one",
                v.value
            ),
        ));
    }
    let looks_like_release = v
        .value
        .strip_prefix("release_")
        .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
    let reserved = v.value == "information_schema" || v.value.starts_with("pg_");
    if reserved {
        return Err(syn::Error::new(
            v.span,
            format!(
                "`{}` is a PostgreSQL system schema name (`pg_*` is reserved, `information_schema` exists in every database); choose another schema name",
                v.value
            ),
        ));
    }
    if looks_like_release {
        return Err(syn::Error::new(
            v.span,
            format!(
                "`{}` is how release schemas of views are named, and contract drops them; choose another schema name",
                v.value
            ),
        ));
    }
    Ok(v)
}

/// The system columns of every PostgreSQL table: `CREATE TABLE` refuses a column so named.
const SYSTEM_COLUMNS: &[&str] = &["tableoid", "xmin", "cmin", "xmax", "cmax", "ctid"];

/// A string literal naming an identifier: checked against PostgreSQL's 63-byte limit.
fn ident_lit(meta: &ParseNestedMeta) -> syn::Result<Spanned<String>> {
    let lit = lit(meta)?;
    let value = lit.value();
    sql::check_ident(&value).map_err(|e| syn::Error::new(lit.span(), e))?;
    Ok(Spanned::new(value, lit.span()))
}

/// A string literal holding a SQL expression: parsed with sqlparser, normalised.
fn expr_lit(meta: &ParseNestedMeta) -> syn::Result<Spanned<String>> {
    let lit = lit(meta)?;
    let value = lit.value();
    let facts = sql::expr_facts(&value).map_err(|e| {
        syn::Error::new(lit.span(), format!("invalid SQL expression `{value}`: {e}"))
    })?;
    let normalized = facts.normalized;
    if let Err(why) = sql::check_printable(&normalized) {
        // Outside a literal sqlparser drops line breaks; inside one they would reach the
        // generated files raw (a carriage return, a line separator).
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "`{}` {why} of its normal form, inside a literal; write it as an escape string, such as E'\\n' for a line break",
                sql::escape_control(&value)
            ),
        ));
    }
    if !facts.reads_back {
        // sqlparser prints some literals (a backslash before a quote) as text that reads back
        // as something else; what reaches the SQL must mean what was declared.
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "`{value}` cannot be carried faithfully into the generated SQL (its normal form `{normalized}` reads back differently); write the literal another way, e.g. as an escape string E'…'"
            ),
        ));
    }
    if facts.setting_dependent {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "`{value}` holds a '…' literal with a backslash, which PostgreSQL reads differently under `standard_conforming_strings = off` (a `\\'` would not end it); write it as an escape string, E'…' with each backslash doubled"
            ),
        ));
    }
    if sql::has_dollar_quote(&normalized) {
        return Err(syn::Error::new(
            lit.span(),
            format!(
                "`{value}` holds a dollar-quoted string, which the generated `DO $$ … $$` blocks cannot carry; write it as a '…' literal"
            ),
        ));
    }
    Ok(Spanned::new(normalized, lit.span()))
}

/// An [`expr_lit`] for a place where PostgreSQL allows no subquery (a CHECK, a default, an
/// index key or predicate): `what` names it as PostgreSQL's error does.
fn expr_lit_no_subquery(meta: &ParseNestedMeta, what: &str) -> syn::Result<Spanned<String>> {
    let v = expr_lit(meta)?;
    let facts = sql::expr_facts(&v.value).ok();
    // A subquery is reported as such, below, whatever it holds.
    if let Some(facts) = facts.as_ref().filter(|f| !f.subquery) {
        if let Some(f) = &facts.aggregate {
            return Err(syn::Error::new(
                v.span,
                format!(
                    "PostgreSQL allows no aggregate or window function (`{f}`) in {what}; write it over this row's values only"
                ),
            ));
        }
        if what.contains("index")
            && let Some(f) = &facts.not_immutable
        {
            return Err(syn::Error::new(
                v.span,
                format!(
                    "`{f}` is not IMMUTABLE, and PostgreSQL allows only immutable functions in {what} (the index would go stale as its result changes); index the columns themselves, or an immutable function of them"
                ),
            ));
        }
    }
    if facts.is_some_and(|f| f.subquery) {
        let fix = if what.contains("check") || what.contains("index") {
            "write it over this row's columns only (a rule about other rows or tables is a foreign key, a unique constraint or a trigger)"
        } else {
            "write a constant or a function call"
        };
        return Err(syn::Error::new(
            v.span,
            format!("PostgreSQL allows no subquery in {what}; {fix}"),
        ));
    }
    Ok(v)
}

fn reason_lit(meta: &ParseNestedMeta) -> syn::Result<Spanned<String>> {
    let lit = lit(meta)?;
    if lit.value().trim().len() < 10 {
        return Err(syn::Error::new(
            lit.span(),
            "`allow_unsafe` needs a written reason (at least a few words): \
             `allow_unsafe = \"table is empty in every environment\"`",
        ));
    }
    // The reason goes into comments and the plan: line breaks and tabs become spaces, and any
    // other control character is refused rather than carried into a generated file.
    let reason = lit.value().split_whitespace().collect::<Vec<_>>().join(" ");
    if let Err(why) = sql::check_printable(&reason) {
        return Err(syn::Error::new(
            lit.span(),
            format!("the reason {why}; write it in plain text"),
        ));
    }
    Ok(Spanned::new(reason, lit.span()))
}

fn action_lit(meta: &ParseNestedMeta) -> syn::Result<FkAction> {
    let lit = lit(meta)?;
    FkAction::parse(&lit.value()).ok_or_else(|| {
        syn::Error::new(
            lit.span(),
            format!(
                "unknown referential action `{}`; use one of \"no action\", \"restrict\", \
                 \"cascade\", \"set null\", \"set default\"",
                lit.value()
            ),
        )
    })
}

/// `(a, b, name = "x")`-style lists: bare identifiers are columns.
fn column_list(
    meta: &ParseNestedMeta,
    mut other: impl FnMut(&ParseNestedMeta) -> syn::Result<bool>,
) -> syn::Result<Vec<Spanned<String>>> {
    let key = key_of(meta);
    if !meta.input.peek(syn::token::Paren) {
        return Err(meta.error(format!("`{key}` takes a list of columns: `{key}(a, b)`")));
    }
    let empty = {
        let fork = meta.input.fork();
        let content;
        syn::parenthesized!(content in fork);
        content.is_empty()
    };
    if empty {
        return Err(meta.error(format!(
            "`{key}()` lists no column; name at least one: `{key}(a, b)`"
        )));
    }
    let mut columns = Vec::new();
    meta.parse_nested_meta(|inner| {
        if other(&inner)? {
            return Ok(());
        }
        if inner.input.peek(syn::Token![=]) || inner.input.peek(syn::token::Paren) {
            return Err(inner.error(format!("unknown key `{}` here", key_of(&inner))));
        }
        let name = key_of(&inner);
        columns.push(Spanned::new(name, path_span(&inner.path)));
        Ok(())
    })?;
    if columns.is_empty() {
        return Err(meta.error("list at least one column"));
    }
    Ok(columns)
}

/// `references = "users"`, `"users(id)"` or `"app.users(tenant_id, id)"`.
fn parse_reference(
    lit: &LitStr,
    default_schema: &str,
) -> syn::Result<(QualifiedName, Vec<String>)> {
    let text = lit.value();
    let bad = |why: &str| {
        syn::Error::new(
            lit.span(),
            format!("invalid reference `{text}`: {why}; write `references = \"table(column)\"`"),
        )
    };
    let (table_part, columns) = match text.find('(') {
        Some(open) => {
            let inner = text[open + 1..]
                .strip_suffix(')')
                .ok_or_else(|| bad("missing `)`"))?;
            let columns: Vec<String> = inner.split(',').map(|c| c.trim().to_owned()).collect();
            if columns.iter().any(|c| c.is_empty()) {
                return Err(bad("empty column name"));
            }
            (text[..open].trim(), columns)
        }
        None => (text.trim(), Vec::new()),
    };
    let (schema, table) = match table_part.split_once('.') {
        Some((s, t)) => (s.trim(), t.trim()),
        None => (default_schema, table_part),
    };
    for name in [schema, table]
        .into_iter()
        .chain(columns.iter().map(String::as_str))
    {
        if !name.chars().all(|c| c.is_alphanumeric() || c == '_') || name.is_empty() {
            return Err(bad(&format!("`{name}` is not a plain identifier")));
        }
        sql::check_ident(name).map_err(|e| bad(&e.to_string()))?;
    }
    Ok((QualifiedName::new(schema, table), columns))
}

#[derive(Default)]
struct StructAttrs {
    table_name: Option<Spanned<String>>,
    schema: Option<Spanned<String>>,
    primary_key: Option<Spanned<Vec<Spanned<String>>>>,
    uniques: Vec<DeclaredUnique>,
    indexes: Vec<DeclaredIndex>,
    checks: Vec<DeclaredCheck>,
    foreign_keys: Vec<ForeignKeyDraft>,
    renamed_from: Option<Spanned<String>>,
    drop: Option<Spanned<()>>,
    drop_columns: Vec<Spanned<String>>,
    allow_unsafe: Option<Spanned<String>>,
}

/// A foreign key whose referenced schema defaults to the table's, known only at the end.
struct ForeignKeyDraft {
    name: Option<String>,
    columns: Vec<Spanned<String>>,
    references: LitStr,
    on_delete: FkAction,
    on_update: FkAction,
    action_spans: [Option<Span>; 2],
    span: Span,
}

fn parse_table_inner(cx: &mut Ctxt, input: &DeriveInput) -> DeclaredTable {
    let rust_name = input.ident.to_string();
    let mut attrs = StructAttrs::default();
    for attr in migrate_attrs(&input.attrs) {
        let result = attr.parse_nested_meta(|meta| parse_struct_key(cx, &mut attrs, &meta));
        if let Err(e) = result {
            cx.syn_error(e);
        }
    }

    let fields = match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(named) => named.named.iter().collect::<Vec<_>>(),
            _ => {
                cx.error(
                    input.ident.span(),
                    "`#[derive(Table)]` needs a struct with named fields",
                );
                Vec::new()
            }
        },
        _ => {
            cx.error(
                input.ident.span(),
                "`#[derive(Table)]` applies to structs; use `#[derive(PgEnum)]` for enums",
            );
            Vec::new()
        }
    };

    let mut declared_fields = Vec::new();
    let mut field_pk: Vec<Spanned<String>> = Vec::new();
    let has_fields = !fields.is_empty();
    for field in fields {
        if let Some(f) = parse_field(cx, field, &mut attrs, &mut field_pk) {
            declared_fields.push(f);
        }
    }
    check_compute_sources(cx, &declared_fields);
    if declared_fields.is_empty() && !cx.has_errors() {
        cx.error(
            input.ident.span(),
            if has_fields {
                format!(
                    "every field of `{rust_name}` is `skip`ped, so its table would have no column; declare at least its primary-key field as a column"
                )
            } else {
                format!("`{rust_name}` has no fields, so its table would have no column; declare at least a primary-key field")
            },
        );
    }

    if !field_pk.is_empty() {
        if let Some(pk) = &attrs.primary_key {
            cx.error(
                pk.span,
                "the primary key is declared both on the struct and on a field; keep one",
            );
        } else {
            let span = field_pk[0].span;
            attrs.primary_key = Some(Spanned::new(field_pk, span));
        }
    }

    let schema = attrs
        .schema
        .map_or_else(|| "public".to_owned(), |s| s.value);
    let table_name = attrs
        .table_name
        .map_or_else(|| snake_case(&rust_name), |t| t.value);
    if let Err(e) = sql::check_ident(&table_name) {
        // The name comes from the struct: the fix is to name the table explicitly.
        cx.error(
            input.ident.span(),
            format!("{e}, given with `#[migrate(table_name = \"…\")]`"),
        );
    }
    let foreign_keys = attrs
        .foreign_keys
        .into_iter()
        .filter_map(|draft| match parse_reference(&draft.references, &schema) {
            Ok((references, referenced_columns)) => Some(DeclaredForeignKey {
                name: draft.name,
                columns: draft.columns,
                references,
                referenced_columns,
                on_delete: draft.on_delete,
                on_update: draft.on_update,
                action_spans: draft.action_spans,
                span: draft.span,
            }),
            Err(e) => {
                cx.syn_error(e);
                None
            }
        })
        .collect();

    DeclaredTable {
        rust_name,
        span: input.ident.span(),
        name: QualifiedName::new(schema, table_name),
        fields: declared_fields,
        primary_key: attrs.primary_key,
        uniques: attrs.uniques,
        indexes: attrs.indexes,
        checks: attrs.checks,
        foreign_keys,
        renamed_from: attrs.renamed_from,
        drop: attrs.drop.map(|d| d.span),
        drop_columns: attrs.drop_columns,
        allow_unsafe: attrs.allow_unsafe,
    }
}

fn parse_struct_key(
    cx: &mut Ctxt,
    attrs: &mut StructAttrs,
    meta: &ParseNestedMeta,
) -> syn::Result<()> {
    let key = key_of(meta);
    let span = path_span(&meta.path);
    match key.as_str() {
        "table_name" => {
            let v = ident_lit(meta)?;
            set_once(cx, &mut attrs.table_name, v.value, span, &key);
        }
        "schema" => {
            let v = schema_lit(meta)?;
            set_once(cx, &mut attrs.schema, v.value, span, &key);
        }
        "primary_key" => {
            let columns = column_list(meta, |_| Ok(false))?;
            set_once(cx, &mut attrs.primary_key, columns, span, &key);
        }
        "unique" => {
            let mut name = None;
            let columns = column_list(meta, |inner| {
                if inner.path.is_ident("name") {
                    name = Some(ident_lit(inner)?.value);
                    return Ok(true);
                }
                Ok(false)
            })?;
            attrs.uniques.push(DeclaredUnique {
                name,
                columns,
                span,
            });
        }
        "index" => {
            let index = parse_index(meta, true)?;
            attrs.indexes.push(index);
        }
        "check" => {
            if meta.input.peek(syn::Token![=]) {
                let expr = expr_lit_no_subquery(meta, "a check constraint")?;
                attrs.checks.push(DeclaredCheck {
                    name: None,
                    column: None,
                    expr: expr.value,
                    span,
                });
            } else {
                let mut name = None;
                let mut expr = None;
                meta.parse_nested_meta(|inner| {
                    match key_of(&inner).as_str() {
                        "name" => name = Some(ident_lit(&inner)?.value),
                        "expr" => {
                            expr = Some(expr_lit_no_subquery(&inner, "a check constraint")?.value)
                        }
                        other => {
                            return Err(inner.error(format!(
                                "unknown check key `{other}`; expected name, expr"
                            )));
                        }
                    }
                    Ok(())
                })?;
                let expr = expr.ok_or_else(|| meta.error("`check(..)` needs `expr = \"…\"`"))?;
                attrs.checks.push(DeclaredCheck {
                    name,
                    column: None,
                    expr,
                    span,
                });
            }
        }
        "foreign_key" => {
            let mut name = None;
            let mut columns = Vec::new();
            let mut references = None;
            let (mut on_delete, mut on_update) = (FkAction::NoAction, FkAction::NoAction);
            let mut action_spans = [None, None];
            meta.parse_nested_meta(|inner| {
                match key_of(&inner).as_str() {
                    "name" => name = Some(ident_lit(&inner)?.value),
                    "columns" => columns = column_list(&inner, |_| Ok(false))?,
                    "references" => references = Some(lit(&inner)?),
                    "on_delete" => {
                        on_delete = action_lit(&inner)?;
                        action_spans[0] = Some(path_span(&inner.path));
                    }
                    "on_update" => {
                        on_update = action_lit(&inner)?;
                        action_spans[1] = Some(path_span(&inner.path));
                    }
                    other => {
                        return Err(inner.error(format!(
                            "unknown foreign_key key `{other}`; expected one of {FK_KEYS}"
                        )));
                    }
                }
                Ok(())
            })?;
            if columns.is_empty() {
                return Err(meta.error("`foreign_key(..)` needs `columns(..)`"));
            }
            let references = references.ok_or_else(|| {
                meta.error("`foreign_key(..)` needs `references = \"table(column)\"`")
            })?;
            attrs.foreign_keys.push(ForeignKeyDraft {
                name,
                columns,
                references,
                on_delete,
                on_update,
                action_spans,
                span,
            });
        }
        "renamed_from" => {
            let v = ident_lit(meta)?;
            set_once(cx, &mut attrs.renamed_from, v.value, v.span, &key);
        }
        "drop" => set_once(cx, &mut attrs.drop, (), span, &key),
        "drop_column" => attrs.drop_columns.push(ident_lit(meta)?),
        "allow_unsafe" => {
            let v = reason_lit(meta)?;
            set_once(cx, &mut attrs.allow_unsafe, v.value, v.span, &key);
        }
        "column_name" | "column_type" | "default" | "references" | "skip" | "identity" => {
            return Err(meta.error(format!("`{key}` belongs on a field, not on the struct")));
        }
        _ => {
            return Err(meta.error(format!(
                "unknown migrate attribute `{key}` on a struct; expected one of {STRUCT_KEYS}"
            )));
        }
    }
    Ok(())
}

fn parse_index(meta: &ParseNestedMeta, needs_keys: bool) -> syn::Result<DeclaredIndex> {
    let span = path_span(&meta.path);
    let mut index = DeclaredIndex {
        name: None,
        keys: Vec::new(),
        unique: false,
        method: "btree".into(),
        predicate: None,
        span,
    };
    if meta.input.peek(syn::token::Paren) {
        meta.parse_nested_meta(|inner| {
            match key_of(&inner).as_str() {
                "columns" => {
                    let columns = column_list(&inner, |_| Ok(false))?;
                    index.keys.extend(columns.into_iter().map(DeclaredKey::Column));
                }
                "expr" => index.keys.push(DeclaredKey::Expr(expr_lit_no_subquery(&inner, "an index expression")?)),
                "name" => index.name = Some(ident_lit(&inner)?.value),
                "method" => {
                    let lit = lit(&inner)?;
                    let method = lit.value().to_ascii_lowercase();
                    if !["btree", "hash", "gin", "gist", "spgist", "brin"].contains(&method.as_str()) {
                        return Err(syn::Error::new(
                            lit.span(),
                            format!("unknown index method `{method}`; use btree, hash, gin, gist, spgist or brin"),
                        ));
                    }
                    index.method = method;
                }
                "where" => index.predicate = Some(expr_lit_no_subquery(&inner, "an index predicate")?.value),
                "unique" => index.unique = true,
                other => {
                    return Err(inner.error(format!("unknown index key `{other}`; expected one of {INDEX_KEYS}")));
                }
            }
            Ok(())
        })?;
    }
    if index.unique && index.method != "btree" {
        return Err(syn::Error::new(
            span,
            format!(
                "access method `{}` does not support unique indexes; only btree does: remove `method` or `unique`",
                index.method
            ),
        ));
    }
    if needs_keys && index.keys.is_empty() {
        return Err(meta.error("an index on the struct needs `columns(..)` or `expr = \"…\"`"));
    }
    Ok(index)
}

#[derive(Default)]
struct FieldAttrs {
    column_name: Option<Spanned<String>>,
    column_type: Option<Spanned<ColumnType>>,
    extension: Option<Spanned<String>>,
    primary_key: Option<Spanned<()>>,
    unique: Option<Spanned<()>>,
    index: Option<Spanned<DeclaredIndex>>,
    default: Option<Spanned<String>>,
    backfill: Option<Spanned<String>>,
    convert: Option<Spanned<ConversionDraft>>,
    compute: Option<Spanned<DeclaredCompute>>,
    check: Option<Spanned<String>>,
    references: Option<Spanned<LitStr>>,
    on_delete: Option<Spanned<FkAction>>,
    on_update: Option<Spanned<FkAction>>,
    identity: Option<Spanned<()>>,
    renamed_from: Option<Spanned<String>>,
    skip: Option<Spanned<()>>,
    allow_unsafe: Option<Spanned<String>>,
}

fn parse_field(
    cx: &mut Ctxt,
    field: &syn::Field,
    table: &mut StructAttrs,
    field_pk: &mut Vec<Spanned<String>>,
) -> Option<DeclaredField> {
    let ident = field.ident.as_ref()?;
    let rust_name = ident.to_string().trim_start_matches("r#").to_owned();
    let mut a = FieldAttrs::default();
    for attr in migrate_attrs(&field.attrs) {
        let result = attr.parse_nested_meta(|meta| parse_field_key(cx, &mut a, &meta));
        if let Err(e) = result {
            cx.syn_error(e);
        }
    }

    if let Some(skip) = &a.skip {
        check_skipped(cx, &a, skip.span);
        return None;
    }

    let column = column_name(cx, ident, a.column_name.take(), &rust_name);
    let (ty, nullable) = field_type(cx, field, &a);
    check_field_attrs(cx, &a, &ty, nullable);

    let convert = a
        .convert
        .take()
        .and_then(|c| check_conversion(cx, c, &column));

    field_constraints(
        cx,
        field,
        (&column, ident.span()),
        nullable,
        &mut a,
        table,
        field_pk,
    );

    Some(DeclaredField {
        rust_name,
        span: ident.span(),
        ty_span: type_span(&field.ty),
        column,
        ty,
        column_type_span: a.column_type.map(|c| c.span),
        extension: a.extension,
        nullable,
        default: a.default,
        identity: a.identity.is_some(),
        backfill: a.backfill,
        convert,
        compute: a.compute,
        renamed_from: a.renamed_from,
        allow_unsafe: a.allow_unsafe,
    })
}

/// One `key` or `key = value` of a field's `#[migrate(...)]`, recorded in `a`.
fn parse_field_key(cx: &mut Ctxt, a: &mut FieldAttrs, meta: &ParseNestedMeta) -> syn::Result<()> {
    let key = key_of(meta);
    let span = path_span(&meta.path);
    match key.as_str() {
        "column_name" => {
            let v = ident_lit(meta)?;
            set_once(cx, &mut a.column_name, v.value, span, &key);
        }
        "column_type" => {
            let lit = lit(meta)?;
            let ty = ColumnType::parse_sql(&lit.value()).map_err(|e| {
                syn::Error::new(
                    lit.span(),
                    format!("invalid column type `{}`: {e}", lit.value()),
                )
            })?;
            set_once(cx, &mut a.column_type, ty, lit.span(), &key);
        }
        "extension" => {
            let v = ident_lit(meta)?;
            set_once(cx, &mut a.extension, v.value, v.span, &key);
        }
        "primary_key" => set_once(cx, &mut a.primary_key, (), span, &key),
        "unique" => set_once(cx, &mut a.unique, (), span, &key),
        "index" => {
            let index = parse_index(meta, false)?;
            if !index.keys.is_empty() {
                return Err(syn::Error::new(
                    span,
                    "an index on a field indexes that field; put multi-column or expression indexes on the struct",
                ));
            }
            set_once(cx, &mut a.index, index, span, &key);
        }
        "default" => {
            let v = expr_lit_no_subquery(meta, "a default expression")?;
            set_once(cx, &mut a.default, v.value, v.span, &key);
        }
        "check" => {
            let v = expr_lit_no_subquery(meta, "a check constraint")?;
            set_once(cx, &mut a.check, v.value, v.span, &key);
        }
        "backfill" => {
            let v =
                expr_lit_no_subquery(meta, "a backfill value (it is the new column's default)")?;
            set_once(cx, &mut a.backfill, v.value, v.span, &key);
        }
        "convert" => {
            let v = parse_conversion(meta)?;
            set_once(cx, &mut a.convert, v, span, &key);
        }
        "compute" => {
            let v = parse_compute(meta)?;
            set_once(cx, &mut a.compute, v, span, &key);
        }
        "references" => {
            let v = lit(meta)?;
            set_once(cx, &mut a.references, v, span, &key);
        }
        "on_delete" => {
            let v = action_lit(meta)?;
            set_once(cx, &mut a.on_delete, v, span, &key);
        }
        "on_update" => {
            let v = action_lit(meta)?;
            set_once(cx, &mut a.on_update, v, span, &key);
        }
        "identity" => set_once(cx, &mut a.identity, (), span, &key),
        "renamed_from" => {
            let v = ident_lit(meta)?;
            set_once(cx, &mut a.renamed_from, v.value, v.span, &key);
        }
        "skip" => set_once(cx, &mut a.skip, (), span, &key),
        "allow_unsafe" => {
            let v = reason_lit(meta)?;
            set_once(cx, &mut a.allow_unsafe, v.value, v.span, &key);
        }
        "table_name" | "schema" | "foreign_key" | "drop" | "drop_column" => {
            return Err(meta.error(format!("`{key}` belongs on the struct, not on a field")));
        }
        _ => {
            return Err(meta.error(format!(
                "unknown migrate attribute `{key}` on a field; expected one of {FIELD_KEYS}"
            )));
        }
    }
    Ok(())
}

/// A skipped field has no column, so any other attribute on it is an error.
fn check_skipped(cx: &mut Ctxt, a: &FieldAttrs, skip: Span) {
    let others = a.column_name.is_some()
        || a.column_type.is_some()
        || a.extension.is_some()
        || a.primary_key.is_some()
        || a.default.is_some()
        || a.backfill.is_some()
        || a.convert.is_some()
        || a.compute.is_some()
        || a.references.is_some()
        || a.index.is_some()
        || a.unique.is_some()
        || a.check.is_some()
        || a.identity.is_some()
        || a.renamed_from.is_some()
        || a.allow_unsafe.is_some()
        || a.on_delete.is_some()
        || a.on_update.is_some();
    if others {
        cx.error(
            skip,
            "a skipped field has no column; remove its other migrate attributes",
        );
    }
}

/// The column's SQL name: `column_name`, or the field's name; a system column's name is refused.
fn column_name(
    cx: &mut Ctxt,
    ident: &syn::Ident,
    column_name: Option<Spanned<String>>,
    rust_name: &str,
) -> String {
    let column = column_name.map_or_else(|| rust_name.to_owned(), |c| c.value);
    if SYSTEM_COLUMNS.contains(&column.as_str()) {
        cx.error(
            ident.span(),
            format!(
                "`{column}` is a system column every PostgreSQL table has, so no column can take the name; give it another with `#[migrate(column_name = \"…\")]`"
            ),
        );
    }
    if let Err(e) = sql::check_ident(&column) {
        // The name comes from the field: the fix is to name the column explicitly.
        cx.error(
            ident.span(),
            format!("{e}, given with `#[migrate(column_name = \"…\")]`"),
        );
    }

    column
}

/// The declared type (an explicit `column_type`, or the Rust type's mapping) and nullability.
fn field_type(cx: &mut Ctxt, field: &syn::Field, a: &FieldAttrs) -> (DeclaredType, bool) {
    let mapped = map_rust_type(&field.ty);
    match (&a.column_type, mapped) {
        (Some(explicit), _) => {
            let nullable = super::types::peel_option(&field.ty).1;
            (DeclaredType::Sql(explicit.value.clone()), nullable)
        }
        (None, Ok(m)) => (m.ty, m.nullable),
        (None, Err(e)) => {
            cx.push(Diagnostic::error(type_span(&field.ty), e.to_string()));
            let nullable = super::types::peel_option(&field.ty).1;
            (
                DeclaredType::Sql(ColumnType::builtin(PgType::Text)),
                nullable,
            )
        }
    }
}

/// Attributes that contradict each other or the type: `extension` without a non-built-in
/// `column_type`, `on_delete`/`on_update` without `references`, identity on an unfit column,
/// `backfill` where no row needs one.
fn check_field_attrs(cx: &mut Ctxt, a: &FieldAttrs, ty: &DeclaredType, nullable: bool) {
    if let Some(compute) = &a.compute {
        check_computed_field(cx, a, compute.span, nullable);
    }
    match (&a.extension, &a.column_type) {
        (Some(ext), None) => cx.error(
            ext.span,
            "`extension` marks the `column_type` as provided by that extension; declare `column_type = \"…\"` beside it",
        ),
        (Some(ext), Some(ty)) => {
            if let ColumnType::Builtin { ty: name, .. } = &ty.value
                && name.is_builtin()
            {
                cx.error(
                    ext.span,
                    format!("`{name}` is a built-in type, not one of extension `{}`; remove `extension`", ext.value),
                );
            }
        }
        (None, _) => {}
    }
    if let (Some(on), None) = (a.on_delete.as_ref().or(a.on_update.as_ref()), &a.references) {
        cx.error(
            on.span,
            "`on_delete`/`on_update` need `references = \"table(column)\"` on the same field",
        );
    }
    if let Some(identity) = &a.identity {
        if nullable {
            cx.error(identity.span, "an identity column cannot be `Option<_>`");
        }
        if a.default.is_some() {
            cx.error(
                identity.span,
                "an identity column cannot also have a `default`",
            );
        }
        if !matches!(
            ty,
            DeclaredType::Sql(ColumnType::Builtin {
                ty: PgType::SmallInt | PgType::Integer | PgType::BigInt,
                array_dims: 0
            })
        ) {
            cx.error(identity.span, "an identity column must be i16, i32 or i64");
        }
    }

    if let Some(backfill) = &a.backfill {
        // Beside a `default`, it is welcome on a column that becomes NOT NULL (its NULL rows
        // get no default) and refused on a new one; only the diff can tell them apart.
        let problem = if nullable {
            Some("a nullable column needs no `backfill`: existing rows read NULL")
        } else if a.identity.is_some() {
            Some("an identity column needs no `backfill`: existing rows get sequence values")
        } else if a.unique.is_some() || a.primary_key.is_some() {
            Some("a unique column cannot take one `backfill` value on every existing row")
        } else {
            None
        };
        if let Some(problem) = problem {
            cx.error(backfill.span, format!("{problem}; remove `backfill`"));
        } else if let Some(column) = sql::parse_expr(&backfill.value)
            .ok()
            .and_then(|e| sql::first_column_reference(&e))
        {
            cx.error(
                backfill.span,
                format!(
                    "`backfill` is a value for every existing row, like a default; it cannot read column `{column}`"
                ),
            );
        }
    }
}

/// The table-level constraints a field attribute declares (primary key, unique, index, check,
/// foreign key), added to the struct's.
fn field_constraints(
    cx: &mut Ctxt,
    field: &syn::Field,
    (column, column_span): (&str, Span),
    nullable: bool,
    a: &mut FieldAttrs,
    table: &mut StructAttrs,
    field_pk: &mut Vec<Spanned<String>>,
) {
    let col = Spanned::new(column.to_owned(), column_span);
    if let Some(pk) = &a.primary_key {
        field_pk.push(Spanned::new(column.to_owned(), pk.span));
        if nullable {
            cx.error(
                type_span(&field.ty),
                "a primary-key column cannot be `Option<_>`; primary keys are NOT NULL",
            );
        }
    }
    if let Some(u) = &a.unique {
        table.uniques.push(DeclaredUnique {
            name: None,
            columns: vec![col.clone()],
            span: u.span,
        });
    }
    if let Some(index) = a.index.take() {
        let mut index = index.value;
        index.keys.push(DeclaredKey::Column(col.clone()));
        table.indexes.push(index);
    }
    if let Some(check) = a.check.take() {
        table.checks.push(DeclaredCheck {
            name: None,
            column: Some(column.to_owned()),
            expr: check.value,
            span: check.span,
        });
    }
    if let Some(references) = a.references.take() {
        table.foreign_keys.push(ForeignKeyDraft {
            name: None,
            columns: vec![col],
            references: references.value,
            action_spans: [
                a.on_delete.as_ref().map(|a| a.span),
                a.on_update.as_ref().map(|a| a.span),
            ],
            on_delete: a.on_delete.take().map_or(FkAction::NoAction, |a| a.value),
            on_update: a.on_update.take().map_or(FkAction::NoAction, |a| a.value),
            span: references.span,
        });
    }
}

/// `compute(with = "path::to::function", from(field, ..))`.
fn parse_compute(meta: &ParseNestedMeta) -> syn::Result<DeclaredCompute> {
    let mut function: Option<(proc_macro2::TokenStream, String)> = None;
    let mut from: Option<Vec<Spanned<String>>> = None;
    meta.parse_nested_meta(|inner| {
        let key = key_of(&inner);
        match key.as_str() {
            "with" if function.is_some() => Err(inner.error("duplicate `with` in `compute(..)`")),
            "with" => {
                let lit = lit(&inner)?;
                function = Some(function_path(&lit)?);
                Ok(())
            }
            "from" if from.is_some() => Err(inner.error("duplicate `from(..)` in `compute(..)`")),
            "from" => {
                let mut names = Vec::new();
                inner.parse_nested_meta(|field| {
                    let Some(ident) = field.path.get_ident() else {
                        return Err(field.error("`from(..)` lists field names of this struct"));
                    };
                    let name = ident.to_string().trim_start_matches("r#").to_owned();
                    names.push(Spanned::new(name, ident.span()));
                    Ok(())
                })?;
                if names.is_empty() {
                    return Err(inner.error(
                        "`from(..)` names the fields the function reads; it needs at least one",
                    ));
                }
                from = Some(names);
                Ok(())
            }
            _ => Err(inner.error(format!(
                "unknown key `{key}` in `compute(..)`; expected `with = \"path::to::function\"` and `from(field, ..)`"
            ))),
        }
    })?;
    let Some((function, function_text)) = function else {
        return Err(meta.error(
            "`compute(..)` needs `with = \"path::to::function\"`: the Rust function that computes the value",
        ));
    };
    let Some(from) = from else {
        return Err(meta.error(
            "`compute(..)` needs `from(field, ..)`: the fields the function reads, in its argument order",
        ));
    };
    Ok(DeclaredCompute {
        function,
        function_text,
        from,
    })
}

/// The path of a function, as tokens spanned on the string and as text. Only plain
/// identifiers joined by `::`: the text reaches plan data and messages.
fn function_path(lit: &LitStr) -> syn::Result<(proc_macro2::TokenStream, String)> {
    let invalid = || {
        syn::Error::new(
            lit.span(),
            format!(
                "`{}` is not a function path; write one like `crate::slug::of_title` (identifiers joined by `::`, no generics)",
                lit.value().escape_debug()
            ),
        )
    };
    let path: syn::Path = lit.parse().map_err(|_| invalid())?;
    if path.segments.iter().any(|s| !s.arguments.is_none()) {
        return Err(invalid());
    }
    let text = path
        .segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::");
    let text = if path.leading_colon.is_some() {
        format!("::{text}")
    } else {
        text
    };
    Ok((quote::quote!(#path), text))
}

/// A computed column is NOT NULL (NULL marks the rows its function has not computed yet) and
/// takes its value from the function alone.
fn check_computed_field(cx: &mut Ctxt, a: &FieldAttrs, span: Span, nullable: bool) {
    if nullable {
        cx.error(
            span,
            "a computed field cannot be `Option<_>`: while an older binary writes, NULL marks the rows whose value is still to compute; make the field's type non-optional",
        );
    }
    let conflicts = [
        ("default", a.default.is_some()),
        ("backfill", a.backfill.is_some()),
        ("convert", a.convert.is_some()),
        ("identity", a.identity.is_some()),
        ("primary_key", a.primary_key.is_some()),
        ("references", a.references.is_some()),
    ];
    for (key, _) in conflicts.iter().filter(|(_, set)| *set) {
        cx.error(
            span,
            format!(
                "a computed field takes its value from its function alone; remove `{key}` or `compute`"
            ),
        );
    }
}

/// Each field a `compute` reads is another declared column of the struct that is not itself
/// computed.
fn check_compute_sources(cx: &mut Ctxt, fields: &[DeclaredField]) {
    for field in fields {
        let Some(compute) = &field.compute else {
            continue;
        };
        for source in &compute.value.from {
            let found = fields.iter().find(|f| f.rust_name == source.value);
            let problem = match found {
                None => Some(format!(
                    "`compute` reads `{}`, which is no column field of this struct (a `skip`ped field has no column); name the fields it reads",
                    source.value
                )),
                Some(f) if f.rust_name == field.rust_name => Some(format!(
                    "`compute` of `{}` cannot read the field itself",
                    field.rust_name
                )),
                Some(f) if f.compute.is_some() => Some(format!(
                    "`compute` reads `{}`, which is computed too; read the fields it is computed from",
                    f.rust_name
                )),
                Some(_) => None,
            };
            if let Some(problem) = problem {
                cx.error(source.span, problem);
            }
        }
    }
}

/// `convert(to_new = "…", to_old = "…")` as written, each expression normalised.
struct ConversionDraft {
    to_new: Option<Spanned<String>>,
    to_old: Option<Spanned<String>>,
}

fn parse_conversion(meta: &ParseNestedMeta) -> syn::Result<ConversionDraft> {
    let mut draft = ConversionDraft {
        to_new: None,
        to_old: None,
    };
    meta.parse_nested_meta(|inner| {
        let key = key_of(&inner);
        let slot = match key.as_str() {
            "to_new" => &mut draft.to_new,
            "to_old" => &mut draft.to_old,
            _ => {
                return Err(inner.error(format!(
                    "unknown key `{key}` in `convert(..)`; expected `to_new = \"…\"` and `to_old = \"…\"`"
                )));
            }
        };
        if slot.is_some() {
            return Err(inner.error(format!("duplicate `{key}` in `convert(..)`")));
        }
        *slot = Some(expr_lit(&inner)?);
        Ok(())
    })?;
    Ok(draft)
}

/// Both directions declared, each reading this column and nothing else: the trigger evaluates
/// them on one row's value.
fn check_conversion(
    cx: &mut Ctxt,
    draft: Spanned<ConversionDraft>,
    column: &str,
) -> Option<Spanned<Conversion>> {
    let mut complete = true;
    for (name, side) in [
        ("to_new", &draft.value.to_new),
        ("to_old", &draft.value.to_old),
    ] {
        let Some(side) = side else {
            cx.error(
                draft.span,
                format!(
                    "`convert` needs `{name} = \"…\"` too: the trigger converts both ways while both binaries write"
                ),
            );
            complete = false;
            continue;
        };
        let read = sql::column_references(&side.value).unwrap_or_default();
        let others: Vec<&String> = read.iter().filter(|c| *c != column).collect();
        if !others.is_empty() {
            let list: Vec<&str> = others.iter().map(|c| c.as_str()).collect();
            cx.error(
                side.span,
                format!(
                    "`{name}` may read only column `{column}`, the value being converted; it reads {}",
                    list.join(", ")
                ),
            );
            complete = false;
        } else if read.is_empty() {
            cx.error(
                side.span,
                format!("`{name}` must read column `{column}`: it converts that column's value"),
            );
            complete = false;
        }
    }
    let (Some(to_new), Some(to_old), true) = (draft.value.to_new, draft.value.to_old, complete)
    else {
        return None;
    };
    Some(Spanned::new(
        Conversion {
            to_new: to_new.value,
            to_old: to_old.value,
        },
        draft.span,
    ))
}

fn parse_enum_inner(cx: &mut Ctxt, input: &DeriveInput) -> DeclaredEnum {
    let rust_name = input.ident.to_string();
    let mut type_name: Option<Spanned<String>> = None;
    let mut schema: Option<Spanned<String>> = None;
    let mut rename_all: Option<Spanned<String>> = None;
    for attr in migrate_attrs(&input.attrs) {
        let result = attr.parse_nested_meta(|meta| {
            let key = key_of(&meta);
            let span = path_span(&meta.path);
            match key.as_str() {
                "type_name" => {
                    let v = ident_lit(&meta)?;
                    set_once(cx, &mut type_name, v.value, span, &key);
                }
                "schema" => {
                    let v = schema_lit(&meta)?;
                    set_once(cx, &mut schema, v.value, span, &key);
                }
                "rename_all" => {
                    let lit = lit(&meta)?;
                    if rename(&lit.value(), "X").is_none() {
                        return Err(syn::Error::new(
                            lit.span(),
                            format!(
                                "unknown rename_all style `{}`; use snake_case, lowercase, UPPERCASE, \
                                 SCREAMING_SNAKE_CASE, kebab-case or PascalCase",
                                lit.value()
                            ),
                        ));
                    }
                    set_once(cx, &mut rename_all, lit.value(), span, &key);
                }
                _ => {
                    return Err(meta.error(format!(
                        "unknown migrate attribute `{key}` on an enum; expected one of type_name, schema, rename_all"
                    )));
                }
            }
            Ok(())
        });
        if let Err(e) = result {
            cx.syn_error(e);
        }
    }
    let style = rename_all.map_or_else(|| "snake_case".to_owned(), |r| r.value);
    let mut values: Vec<Spanned<String>> = Vec::new();
    match &input.data {
        Data::Enum(data) => {
            if data.variants.is_empty() {
                cx.error(
                    input.ident.span(),
                    "a PostgreSQL enum needs at least one variant",
                );
            }
            for variant in &data.variants {
                if !matches!(variant.fields, Fields::Unit) {
                    cx.error(
                        variant.ident.span(),
                        "a PostgreSQL enum variant cannot carry data",
                    );
                    continue;
                }
                let mut renamed: Option<Spanned<String>> = None;
                for attr in migrate_attrs(&variant.attrs) {
                    let result = attr.parse_nested_meta(|meta| {
                        if meta.path.is_ident("rename") {
                            let lit = lit(&meta)?;
                            if lit.value().is_empty() || lit.value().len() > sql::MAX_IDENT_BYTES {
                                return Err(syn::Error::new(
                                    lit.span(),
                                    "an enum label must be 1 to 63 bytes",
                                ));
                            }
                            if let Err(why) = sql::check_printable(&lit.value()) {
                                return Err(syn::Error::new(
                                    lit.span(),
                                    format!(
                                        "the enum label `{}` {why}: labels must be printable (it would end or hide a line in the generated files); write the label without it",
                                        sql::escape_control(&lit.value())
                                    ),
                                ));
                            }
                            if sql::has_dollar_quote(&lit.value()) {
                                return Err(syn::Error::new(
                                    lit.span(),
                                    format!(
                                        "the enum label `{}` holds a dollar-quote delimiter (`$$` or `$tag$`), which would end the generated `DO $$ … $$` block early; write the label without it",
                                        lit.value()
                                    ),
                                ));
                            }
                            set_once(cx, &mut renamed, lit.value(), lit.span(), "rename");
                            Ok(())
                        } else {
                            Err(meta.error(format!(
                                "unknown migrate attribute `{}` on a variant; expected rename",
                                key_of(&meta)
                            )))
                        }
                    });
                    if let Err(e) = result {
                        cx.syn_error(e);
                    }
                }
                let label = renamed.map_or_else(
                    || rename(&style, &variant.ident.to_string()).unwrap_or_default(),
                    |r| r.value,
                );
                if values.iter().any(|v| v.value == label) {
                    cx.error(
                        variant.ident.span(),
                        format!("two variants map to the label `{label}`"),
                    );
                }
                values.push(Spanned::new(label, variant.ident.span()));
            }
        }
        _ => cx.error(
            input.ident.span(),
            "`#[derive(PgEnum)]` applies to enums with unit variants",
        ),
    }
    DeclaredEnum {
        rust_name: rust_name.clone(),
        span: input.ident.span(),
        name: QualifiedName::new(
            schema.map_or_else(|| "public".to_owned(), |s| s.value),
            type_name.map_or_else(|| snake_case(&rust_name), |t| t.value),
        ),
        values,
    }
}

/// Applies a `rename_all` style to a variant name.
fn rename(style: &str, ident: &str) -> Option<String> {
    Some(match style {
        "snake_case" => snake_case(ident),
        "lowercase" => ident.to_lowercase(),
        "UPPERCASE" => ident.to_uppercase(),
        "SCREAMING_SNAKE_CASE" => snake_case(ident).to_uppercase(),
        "kebab-case" => snake_case(ident).replace('_', "-"),
        "PascalCase" => ident.to_owned(),
        _ => return None,
    })
}
