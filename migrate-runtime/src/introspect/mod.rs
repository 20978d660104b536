//! Reads a live database back into the schema model, and compares it with a declared one.
//!
//! [`introspect`] reads the tables and enums of some schemas from PostgreSQL's catalogs into a
//! [`Schema`]. PostgreSQL keeps some things in its own spelling (defaults as `'x'::text`, CHECK
//! bodies re-printed) and knows nothing of Rust names; [`schema_drift`] normalises both sides
//! the same way ([`comparable`]) and says what differs. A runner refuses to expand over a
//! drifted database (that refusal is not built yet).

mod drift;

use std::fmt;

use migrate_contract::model::{
    Check, Column, ColumnType, EnumType, FkAction, ForeignKey, Index, IndexKey, PgType,
    QualifiedName, Schema, Table, TypeSpellingError, Unique,
};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

pub use drift::{
    Constraint, Drift, SchemaDrift, TableDrift, comparable, normalize_sql, schema_drift,
};

/// The catalog read that failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogRead {
    /// Enum types and their labels (`pg_enum`).
    Enums,
    /// The list of tables (`pg_class`).
    Tables,
    /// A table's columns (`pg_attribute`).
    Columns,
    /// A table's constraints (`pg_constraint`).
    Constraints,
    /// A table's indexes (`pg_index`).
    Indexes,
}

impl fmt::Display for CatalogRead {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CatalogRead::Enums => "enum types",
            CatalogRead::Tables => "tables",
            CatalogRead::Columns => "columns",
            CatalogRead::Constraints => "constraints",
            CatalogRead::Indexes => "indexes",
        })
    }
}

/// Why a live schema cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum IntrospectError {
    /// A catalog query failed, or returned what it should not.
    #[error("reading the {what} from the catalogs failed: {source}")]
    Query {
        /// What was being read.
        what: CatalogRead,
        /// The database's error.
        #[source]
        source: sqlx::Error,
    },
    /// An index left invalid by an interrupted `CREATE INDEX CONCURRENTLY`: it exists but
    /// enforces and serves nothing, so the model cannot describe it.
    #[error(
        "index {index} on {table} is INVALID (an interrupted CONCURRENTLY build): drop it CONCURRENTLY and build it again"
    )]
    InvalidIndex {
        /// The table.
        table: QualifiedName,
        /// The index name.
        index: String,
    },
    /// A column type the model cannot hold.
    #[error(transparent)]
    Type(Box<UnreadableType>),
}

/// A column whose type the model cannot hold.
#[derive(Debug, thiserror::Error)]
#[error("column {column} of {table} has type `{spelling}`, which the model cannot hold: {source}")]
pub struct UnreadableType {
    /// The table.
    pub table: QualifiedName,
    /// The column.
    pub column: String,
    /// What `format_type` printed.
    pub spelling: String,
    /// Why it was refused.
    #[source]
    pub source: TypeSpellingError,
}

/// Reads every ordinary table (`relkind = 'r'`) and enum type of the given schemas, as the
/// model describes them: column types in `format_type`'s spelling, defaults, CHECK bodies and
/// index predicates as PostgreSQL prints them (compare through [`comparable`]), Rust names
/// empty. sqlx's bookkeeping tables (`_sqlx*`) are left out. Runs only catalog reads; it
/// sees what `conn`'s transaction sees.
pub async fn introspect(
    conn: &mut PgConnection,
    schemas: &[&str],
) -> Result<Schema, IntrospectError> {
    let schemas: Vec<String> = schemas.iter().map(|s| (*s).to_owned()).collect();
    let mut out = Schema::default();

    let enums = sqlx::query(
        "SELECT n.nspname::text, t.typname::text, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
         FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
         JOIN pg_catalog.pg_enum e ON e.enumtypid = t.oid
         WHERE n.nspname = ANY($1) GROUP BY 1, 2",
    )
    .bind(&schemas)
    .fetch_all(&mut *conn)
    .await
    .map_err(query(CatalogRead::Enums))?;
    for row in enums {
        let get = Getter::new(&row, CatalogRead::Enums);
        let name = QualifiedName::new(get.at::<String>(0)?, get.at::<String>(1)?);
        let values = get.at(2)?;
        out.enums.insert(
            name.key(),
            EnumType {
                name,
                rust_name: String::new(),
                values,
            },
        );
    }

    let tables = sqlx::query(
        "SELECT c.oid::int8, n.nspname::text, c.relname::text
         FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
         WHERE c.relkind = 'r' AND n.nspname = ANY($1) AND c.relname NOT LIKE '\\_sqlx%' ORDER BY 2, 3",
    )
    .bind(&schemas)
    .fetch_all(&mut *conn)
    .await
    .map_err(query(CatalogRead::Tables))?;
    for row in tables {
        let get = Getter::new(&row, CatalogRead::Tables);
        let oid: i64 = get.at(0)?;
        let name = QualifiedName::new(get.at::<String>(1)?, get.at::<String>(2)?);
        let table = read_table(conn, oid, name).await?;
        out.tables.insert(table.name.key(), table);
    }
    Ok(out)
}

/// `map_err` for a failed catalog query.
fn query(what: CatalogRead) -> impl Fn(sqlx::Error) -> IntrospectError {
    move |source| IntrospectError::Query { what, source }
}

/// Typed column reads of one row, failing with the catalog read's error.
struct Getter<'r> {
    row: &'r PgRow,
    what: CatalogRead,
}

impl<'r> Getter<'r> {
    fn new(row: &'r PgRow, what: CatalogRead) -> Self {
        Getter { row, what }
    }

    fn at<T>(&self, index: usize) -> Result<T, IntrospectError>
    where
        T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
    {
        self.row.try_get(index).map_err(query(self.what))
    }
}

async fn read_table(
    conn: &mut PgConnection,
    oid: i64,
    name: QualifiedName,
) -> Result<Table, IntrospectError> {
    let columns = read_columns(conn, oid, &name).await?;
    let (primary_key, uniques, checks, foreign_keys) = read_constraints(conn, oid).await?;
    let indexes = read_indexes(conn, oid, &name).await?;
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
    Ok(table)
}

async fn read_columns(
    conn: &mut PgConnection,
    oid: i64,
    table: &QualifiedName,
) -> Result<Vec<Column>, IntrospectError> {
    let rows = sqlx::query(
        "SELECT a.attname::text, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                pg_get_expr(d.adbin, d.adrelid), a.attidentity::text, tn.nspname::text, et.typname::text,
                a.attndims::int4
         FROM pg_catalog.pg_attribute a
         LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
         LEFT JOIN pg_catalog.pg_type et ON et.oid = CASE WHEN t.typelem <> 0 AND t.typcategory = 'A' THEN t.typelem ELSE t.oid END AND et.typtype = 'e'
         LEFT JOIN pg_catalog.pg_namespace tn ON tn.oid = et.typnamespace
         WHERE a.attrelid = $1::oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
    )
    .bind(oid)
    .fetch_all(&mut *conn)
    .await
    .map_err(query(CatalogRead::Columns))?;
    rows.iter()
        .map(|row| {
            let get = Getter::new(row, CatalogRead::Columns);
            let name: String = get.at(0)?;
            let formatted: String = get.at(1)?;
            // format_type prints a single `[]` however many dimensions were declared; the
            // declared count is `attndims` (PostgreSQL does not enforce it, and caps it at 6).
            let declared_dims: i32 = get.at(7)?;
            let printed_dims = formatted.matches("[]").count();
            let array_dims =
                u8::try_from(printed_dims.max(usize::try_from(declared_dims).unwrap_or(0)))
                    .unwrap_or(u8::MAX);
            let ty = match (get.at::<Option<String>>(5)?, get.at::<Option<String>>(6)?) {
                (Some(schema), Some(enum_name)) => ColumnType::Enum {
                    name: QualifiedName::new(schema, enum_name),
                    array_dims,
                },
                _ => ColumnType::Builtin {
                    ty: PgType::from_canonical(formatted.trim_end_matches("[]")).map_err(
                        |source| {
                            IntrospectError::Type(Box::new(UnreadableType {
                                table: table.clone(),
                                column: name.clone(),
                                spelling: formatted.clone(),
                                source,
                            }))
                        },
                    )?,
                    array_dims,
                },
            };
            Ok(Column {
                name,
                ty,
                nullable: !get.at::<bool>(2)?,
                default: get.at(3)?,
                identity: !get.at::<String>(4)?.is_empty(),
                backfill: None,
                renamed_from: None,
                convert: None,
            })
        })
        .collect()
}

/// A table's constraints: primary key, uniques, checks, foreign keys.
type Constraints = (Vec<String>, Vec<Unique>, Vec<Check>, Vec<ForeignKey>);

async fn read_constraints(
    conn: &mut PgConnection,
    oid: i64,
) -> Result<Constraints, IntrospectError> {
    let rows = sqlx::query(
        "SELECT con.conname::text, con.contype::text,
                ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, i) JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i) AS cols,
                rn.nspname::text, rc.relname::text,
                ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, i) JOIN pg_catalog.pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i) AS refcols,
                con.confdeltype::text, con.confupdtype::text, pg_get_constraintdef(con.oid)
         FROM pg_catalog.pg_constraint con
         LEFT JOIN pg_catalog.pg_class rc ON rc.oid = con.confrelid
         LEFT JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
         WHERE con.conrelid = $1::oid ORDER BY con.conname",
    )
    .bind(oid)
    .fetch_all(&mut *conn)
    .await
    .map_err(query(CatalogRead::Constraints))?;
    let (mut primary_key, mut uniques, mut checks, mut foreign_keys) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for row in &rows {
        let get = Getter::new(row, CatalogRead::Constraints);
        let name: String = get.at(0)?;
        let columns: Vec<String> = get.at(2)?;
        match get.at::<String>(1)?.as_str() {
            "p" => primary_key = columns,
            "u" => uniques.push(Unique { name, columns }),
            "c" => checks.push(Check {
                name,
                expr: get.at(8)?,
            }),
            "f" => foreign_keys.push(ForeignKey {
                name,
                columns,
                references: QualifiedName::new(get.at::<String>(3)?, get.at::<String>(4)?),
                referenced_columns: get.at(5)?,
                on_delete: action(&get.at::<String>(6)?),
                on_update: action(&get.at::<String>(7)?),
            }),
            // Exclusion and trigger constraints: the model declares none.
            _ => {}
        }
    }
    Ok((primary_key, uniques, checks, foreign_keys))
}

async fn read_indexes(
    conn: &mut PgConnection,
    oid: i64,
    table: &QualifiedName,
) -> Result<Vec<Index>, IntrospectError> {
    let rows = sqlx::query(
        "SELECT ic.relname::text, i.indisunique, am.amname::text, pg_get_expr(i.indpred, i.indrelid), i.indisvalid,
                ARRAY(SELECT CASE WHEN k.n = 0 THEN '(' || pg_get_indexdef(i.indexrelid, k.i::int, true) || ')' ELSE a.attname::text END
                      FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(n, i) LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.i) AS keys
         FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
         JOIN pg_catalog.pg_am am ON am.oid = ic.relam
         WHERE i.indrelid = $1::oid
           AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid)
         ORDER BY 1",
    )
    .bind(oid)
    .fetch_all(&mut *conn)
    .await
    .map_err(query(CatalogRead::Indexes))?;
    rows.iter()
        .map(|row| {
            let get = Getter::new(row, CatalogRead::Indexes);
            let name: String = get.at(0)?;
            if !get.at::<bool>(4)? {
                return Err(IntrospectError::InvalidIndex {
                    table: table.clone(),
                    index: name,
                });
            }
            let keys = get
                .at::<Vec<String>>(5)?
                .into_iter()
                .map(
                    |k| match k.strip_prefix('(').and_then(|k| k.strip_suffix(')')) {
                        Some(expr) => IndexKey::Expr(expr.to_owned()),
                        None => IndexKey::Column(k),
                    },
                )
                .collect();
            Ok(Index {
                name,
                unique: get.at(1)?,
                method: get.at(2)?,
                predicate: get.at(3)?,
                keys,
            })
        })
        .collect()
}

/// `pg_constraint.confdeltype` / `confupdtype`.
fn action(code: &str) -> FkAction {
    match code {
        "r" => FkAction::Restrict,
        "c" => FkAction::Cascade,
        "n" => FkAction::SetNull,
        "d" => FkAction::SetDefault,
        _ => FkAction::NoAction,
    }
}
