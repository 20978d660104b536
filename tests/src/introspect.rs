//! Reads a live database back into the shared model, so a test can assert that what the
//! migrations built equals what was declared.
//!
//! Some things PostgreSQL stores in its own spelling (defaults as `'x'::text`, CHECK bodies
//! re-printed); [`comparable`] normalises both sides the same way before they are compared.

use migrate_core::model::{
    Check, Column, ColumnType, EnumType, FkAction, ForeignKey, Index, IndexKey, PgType,
    QualifiedName, Schema, Table, Unique,
};
use sqlx::{PgPool, Row};

/// Reads every table and enum of the given schemas.
pub async fn introspect(pool: &PgPool, schemas: &[&str]) -> Schema {
    let schemas: Vec<String> = schemas.iter().map(|s| s.to_string()).collect();
    let mut out = Schema::default();

    let enums = sqlx::query(
        "SELECT n.nspname, t.typname, array_agg(e.enumlabel ORDER BY e.enumsortorder) AS labels
         FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace JOIN pg_enum e ON e.enumtypid = t.oid
         WHERE n.nspname = ANY($1) GROUP BY 1, 2",
    )
    .bind(&schemas)
    .fetch_all(pool)
    .await
    .expect("read enums");
    for row in enums {
        let name = QualifiedName::new(row.get::<String, _>(0), row.get::<String, _>(1));
        out.enums.insert(
            name.key(),
            EnumType {
                name,
                rust_name: String::new(),
                values: row.get(2),
            },
        );
    }

    let tables = sqlx::query(
        "SELECT c.oid::int8, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind = 'r' AND n.nspname = ANY($1) AND c.relname NOT LIKE '\\_sqlx%' ORDER BY 2, 3",
    )
    .bind(&schemas)
    .fetch_all(pool)
    .await
    .expect("read tables");
    for row in tables {
        let oid: i64 = row.get(0);
        let name = QualifiedName::new(row.get::<String, _>(1), row.get::<String, _>(2));
        let table = read_table(pool, oid, name).await;
        out.tables.insert(table.name.key(), table);
    }
    out
}

async fn read_table(pool: &PgPool, oid: i64, name: QualifiedName) -> Table {
    let columns = sqlx::query(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, pg_get_expr(d.adbin, d.adrelid),
                a.attidentity::text, tn.nspname, et.typname, a.attndims
         FROM pg_attribute a
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         JOIN pg_type t ON t.oid = a.atttypid
         LEFT JOIN pg_type et ON et.oid = CASE WHEN t.typelem <> 0 AND t.typcategory = 'A' THEN t.typelem ELSE t.oid END AND et.typtype = 'e'
         LEFT JOIN pg_namespace tn ON tn.oid = et.typnamespace
         WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
    )
    .bind(oid)
    .fetch_all(pool)
    .await
    .expect("read columns");
    let columns: Vec<Column> = columns
        .into_iter()
        .map(|r| {
            let formatted: String = r.get(1);
            let dims = formatted.matches("[]").count() as u8;
            let ty = match (r.get::<Option<String>, _>(5), r.get::<Option<String>, _>(6)) {
                (Some(ns), Some(enum_name)) => ColumnType::Enum {
                    name: QualifiedName::new(ns, enum_name),
                    array_dims: dims,
                },
                _ => ColumnType::Builtin {
                    ty: PgType::from_canonical(formatted.trim_end_matches("[]"))
                        .expect("format_type names a type"),
                    array_dims: dims,
                },
            };
            Column {
                name: r.get(0),
                ty,
                nullable: !r.get::<bool, _>(2),
                default: r.get(3),
                identity: !r.get::<String, _>(4).is_empty(),
                backfill: None,
                renamed_from: None,
                convert: None,
            }
        })
        .collect();

    let constraints = sqlx::query(
        "SELECT con.conname, con.contype::text,
                ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i) AS cols,
                rn.nspname, rc.relname,
                ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, i) JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i) AS refcols,
                con.confdeltype::text, con.confupdtype::text, pg_get_constraintdef(con.oid)
         FROM pg_constraint con
         LEFT JOIN pg_class rc ON rc.oid = con.confrelid LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace
         WHERE con.conrelid = $1::oid ORDER BY con.conname",
    )
    .bind(oid)
    .fetch_all(pool)
    .await
    .expect("read constraints");
    let (mut primary_key, mut uniques, mut checks, mut foreign_keys) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for r in constraints {
        let name: String = r.get(0);
        let cols: Vec<String> = r.get(2);
        match r.get::<String, _>(1).as_str() {
            "p" => primary_key = cols,
            "u" => uniques.push(Unique {
                name,
                columns: cols,
            }),
            "c" => checks.push(Check {
                name,
                expr: r.get(8),
            }),
            "f" => foreign_keys.push(ForeignKey {
                name,
                columns: cols,
                references: QualifiedName::new(r.get::<String, _>(3), r.get::<String, _>(4)),
                referenced_columns: r.get(5),
                on_delete: action(&r.get::<String, _>(6)),
                on_update: action(&r.get::<String, _>(7)),
            }),
            _ => {}
        }
    }

    let indexes = sqlx::query(
        "SELECT ic.relname, i.indisunique, am.amname, pg_get_expr(i.indpred, i.indrelid), i.indisvalid,
                ARRAY(SELECT CASE WHEN k.n = 0 THEN '(' || pg_get_indexdef(i.indexrelid, k.i::int, true) || ')' ELSE a.attname::text END
                      FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(n, i) LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.i) AS keys
         FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
         WHERE i.indrelid = $1::oid AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
         ORDER BY 1",
    )
    .bind(oid)
    .fetch_all(pool)
    .await
    .expect("read indexes");
    let indexes: Vec<Index> = indexes
        .into_iter()
        .map(|r| {
            let valid: bool = r.get(4);
            assert!(
                valid,
                "index {} is INVALID (an interrupted CONCURRENTLY build)",
                r.get::<String, _>(0)
            );
            Index {
                name: r.get(0),
                unique: r.get(1),
                method: r.get(2),
                predicate: r.get(3),
                keys: r
                    .get::<Vec<String>, _>(5)
                    .into_iter()
                    .map(
                        |k| match k.strip_prefix('(').and_then(|k| k.strip_suffix(')')) {
                            Some(expr) => IndexKey::Expr(expr.to_owned()),
                            None => IndexKey::Column(k),
                        },
                    )
                    .collect(),
            }
        })
        .collect();

    let mut table = Table {
        name,
        rust_name: String::new(),
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
    table
}

fn action(code: &str) -> FkAction {
    match code {
        "r" => FkAction::Restrict,
        "c" => FkAction::Cascade,
        "n" => FkAction::SetNull,
        "d" => FkAction::SetDefault,
        _ => FkAction::NoAction,
    }
}

/// Normalises a schema for comparison: PostgreSQL re-prints defaults, CHECK bodies and index
/// expressions in its own spelling, and the database knows nothing of Rust names.
pub fn comparable(schema: &Schema) -> Schema {
    let mut out = schema.clone();
    for table in out.tables.values_mut() {
        table.rust_name.clear();
        table.renamed_from = None;
        table.dropped_columns.clear();
        for c in &mut table.columns {
            c.default = c.default.as_deref().map(normalize_sql);
            c.renamed_from = None;
            c.backfill = None;
            c.convert = None;
        }
        for check in &mut table.checks {
            check.expr = normalize_sql(check.expr.trim_start_matches("CHECK "));
        }
        for index in &mut table.indexes {
            index.predicate = index.predicate.as_deref().map(normalize_sql);
            for key in &mut index.keys {
                if let IndexKey::Expr(e) = key {
                    *e = normalize_sql(e);
                }
            }
        }
    }
    for e in out.enums.values_mut() {
        e.rust_name.clear();
    }
    out.dropped_tables.clear();
    out
}

/// Lowercases, drops casts (`::text`, `::jsonb`, `::order_status`), parentheses and spaces.
pub fn normalize_sql(sql: &str) -> String {
    let mut out = String::new();
    let mut chars = sql.chars().peekable();
    let mut in_string = false;
    while let Some(c) = chars.next() {
        if c == '\'' {
            in_string = !in_string;
            out.push(c);
            continue;
        }
        if in_string {
            out.push(c);
            continue;
        }
        if c == ':' && chars.peek() == Some(&':') {
            chars.next();
            // Skip the type name (identifiers, dots, quotes, spaces inside "double precision" are rare in defaults).
            while chars.peek().is_some_and(|c| {
                c.is_alphanumeric() || *c == '_' || *c == '.' || *c == '"' || *c == '[' || *c == ']'
            }) {
                chars.next();
            }
            continue;
        }
        if c == '(' || c == ')' || c.is_whitespace() {
            continue;
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// Panics, showing both sides, unless the live schema equals the declared one once both are
/// normalised with [`comparable`].
pub fn assert_same_schema(live: &Schema, declared: &Schema) {
    let (live, declared) = (comparable(live), comparable(declared));
    if live != declared {
        panic!(
            "the database differs from the declared schema\n--- declared ---\n{}\n--- database ---\n{}",
            serde_json::to_string_pretty(&declared).expect("serialises"),
            serde_json::to_string_pretty(&live).expect("serialises")
        );
    }
}
