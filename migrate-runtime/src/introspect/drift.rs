//! Comparing a live schema with a declared one, once both are normalised.

use std::collections::BTreeSet;
use std::fmt;

use migrate_contract::model::{
    Check, Column, EnumType, ForeignKey, Index, IndexKey, QualifiedName, Schema, Table, Unique,
};

/// How a live schema differs from a declared one ([`schema_drift`]); never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaDrift {
    /// The differences, tables first (in key order), then enums.
    pub differences: Vec<Drift>,
}

/// One difference between the database and the declared schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// A declared table the database lacks.
    MissingTable(QualifiedName),
    /// A table the database has and the declaration does not.
    UnexpectedTable(QualifiedName),
    /// A table both have, with differences.
    Table {
        /// The table.
        name: QualifiedName,
        /// What differs, in the order of the model's fields.
        differences: Vec<TableDrift>,
    },
    /// A declared enum type the database lacks.
    MissingEnum(QualifiedName),
    /// An enum type the database has and the declaration does not.
    UnexpectedEnum(QualifiedName),
    /// An enum type whose labels (or their order) differ.
    EnumLabels {
        /// The enum type.
        name: QualifiedName,
        /// The declared labels.
        declared: Vec<String>,
        /// The labels in the database.
        live: Vec<String>,
    },
}

/// One difference inside a table both sides have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TableDrift {
    /// The name the table's entry carries differs from its key.
    Name {
        /// The declared name.
        declared: QualifiedName,
        /// The name in the database.
        live: QualifiedName,
    },
    /// A declared column the table lacks.
    MissingColumn(String),
    /// A column the table has and the declaration does not.
    UnexpectedColumn(String),
    /// A column both have, different (type, nullability, default or identity).
    Column {
        /// The declared column, normalised.
        declared: Box<Column>,
        /// The column in the database, normalised.
        live: Box<Column>,
    },
    /// The same columns in another physical order.
    ColumnOrder {
        /// The declared order.
        declared: Vec<String>,
        /// The order in the database.
        live: Vec<String>,
    },
    /// The primary key's columns differ.
    PrimaryKey {
        /// The declared key.
        declared: Vec<String>,
        /// The key in the database.
        live: Vec<String>,
    },
    /// A declared constraint or index the table lacks.
    Missing(Constraint),
    /// A constraint or index the table has and the declaration does not.
    Unexpected(Constraint),
    /// A constraint or index both have under one name, defined differently.
    Changed {
        /// The declared definition, normalised.
        declared: Constraint,
        /// The definition in the database, normalised.
        live: Constraint,
    },
    /// A difference the name-by-name comparison cannot place (duplicate names): both tables,
    /// normalised.
    Other {
        /// The declared table.
        declared: Box<Table>,
        /// The table in the database.
        live: Box<Table>,
    },
}

/// A named constraint or index of a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Constraint {
    /// A unique constraint.
    Unique(Unique),
    /// An index not backing a constraint.
    Index(Index),
    /// A CHECK constraint.
    Check(Check),
    /// A foreign key.
    ForeignKey(ForeignKey),
}

impl Constraint {
    /// The constraint's or index's name.
    pub fn name(&self) -> &str {
        match self {
            Constraint::Unique(u) => &u.name,
            Constraint::Index(i) => &i.name,
            Constraint::Check(c) => &c.name,
            Constraint::ForeignKey(f) => &f.name,
        }
    }

    fn kind(&self) -> &'static str {
        match self {
            Constraint::Unique(_) => "unique constraint",
            Constraint::Index(_) => "index",
            Constraint::Check(_) => "check constraint",
            Constraint::ForeignKey(_) => "foreign key",
        }
    }
}

/// Says how `live` differs from `declared`, or `None` when they are the same schema once both
/// are normalised with [`comparable`] (exactly when `comparable(live) == comparable(declared)`).
pub fn schema_drift(live: &Schema, declared: &Schema) -> Option<SchemaDrift> {
    let (live, declared) = (comparable(live), comparable(declared));
    if live == declared {
        return None;
    }
    let mut differences = Vec::new();
    let keys: BTreeSet<&String> = live.tables.keys().chain(declared.tables.keys()).collect();
    for key in keys {
        match (declared.tables.get(key), live.tables.get(key)) {
            (Some(d), None) => differences.push(Drift::MissingTable(d.name.clone())),
            (None, Some(l)) => differences.push(Drift::UnexpectedTable(l.name.clone())),
            (Some(d), Some(l)) if d != l => differences.push(Drift::Table {
                name: d.name.clone(),
                differences: table_drift(d, l),
            }),
            _ => {}
        }
    }
    let keys: BTreeSet<&String> = live.enums.keys().chain(declared.enums.keys()).collect();
    for key in keys {
        match (declared.enums.get(key), live.enums.get(key)) {
            (Some(d), None) => differences.push(Drift::MissingEnum(d.name.clone())),
            (None, Some(l)) => differences.push(Drift::UnexpectedEnum(l.name.clone())),
            (Some(d), Some(l)) if d != l => differences.push(enum_drift(d, l)),
            _ => {}
        }
    }
    Some(SchemaDrift { differences })
}

fn enum_drift(declared: &EnumType, live: &EnumType) -> Drift {
    Drift::EnumLabels {
        name: declared.name.clone(),
        declared: declared.values.clone(),
        live: live.values.clone(),
    }
}

/// The differences of two normalised tables that are not equal; never empty.
fn table_drift(declared: &Table, live: &Table) -> Vec<TableDrift> {
    let mut out = Vec::new();
    if declared.name != live.name {
        out.push(TableDrift::Name {
            declared: declared.name.clone(),
            live: live.name.clone(),
        });
    }
    for d in &declared.columns {
        match live.column(&d.name) {
            None => out.push(TableDrift::MissingColumn(d.name.clone())),
            Some(l) if l != d => out.push(TableDrift::Column {
                declared: Box::new(d.clone()),
                live: Box::new(l.clone()),
            }),
            Some(_) => {}
        }
    }
    for l in &live.columns {
        if declared.column(&l.name).is_none() {
            out.push(TableDrift::UnexpectedColumn(l.name.clone()));
        }
    }
    let names = |t: &Table| t.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
    let (declared_order, live_order) = (names(declared), names(live));
    let same_set = |a: &[String], b: &[String]| {
        a.iter().collect::<BTreeSet<_>>() == b.iter().collect::<BTreeSet<_>>()
    };
    if declared_order != live_order && same_set(&declared_order, &live_order) {
        out.push(TableDrift::ColumnOrder {
            declared: declared_order,
            live: live_order,
        });
    }
    if declared.primary_key != live.primary_key {
        out.push(TableDrift::PrimaryKey {
            declared: declared.primary_key.clone(),
            live: live.primary_key.clone(),
        });
    }
    let wrap = |items: &[Unique]| items.iter().cloned().map(Constraint::Unique).collect();
    named_drift(&mut out, wrap(&declared.uniques), wrap(&live.uniques));
    let wrap = |items: &[Index]| items.iter().cloned().map(Constraint::Index).collect();
    named_drift(&mut out, wrap(&declared.indexes), wrap(&live.indexes));
    let wrap = |items: &[Check]| items.iter().cloned().map(Constraint::Check).collect();
    named_drift(&mut out, wrap(&declared.checks), wrap(&live.checks));
    let wrap = |items: &[ForeignKey]| items.iter().cloned().map(Constraint::ForeignKey).collect();
    named_drift(
        &mut out,
        wrap(&declared.foreign_keys),
        wrap(&live.foreign_keys),
    );
    if out.is_empty() {
        // Only duplicate names can hide a difference from the name-by-name comparison.
        out.push(TableDrift::Other {
            declared: Box::new(declared.clone()),
            live: Box::new(live.clone()),
        });
    }
    out
}

/// Compares one list of named constraints name by name.
fn named_drift(out: &mut Vec<TableDrift>, declared: Vec<Constraint>, live: Vec<Constraint>) {
    if declared == live {
        return;
    }
    for d in &declared {
        match live.iter().find(|l| l.name() == d.name()) {
            None => out.push(TableDrift::Missing(d.clone())),
            Some(l) if l != d => out.push(TableDrift::Changed {
                declared: d.clone(),
                live: l.clone(),
            }),
            Some(_) => {}
        }
    }
    for l in &live {
        if !declared.iter().any(|d| d.name() == l.name()) {
            out.push(TableDrift::Unexpected(l.clone()));
        }
    }
}

impl fmt::Display for SchemaDrift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "the database differs from the declared schema:")?;
        for d in &self.differences {
            match d {
                Drift::MissingTable(t) => writeln!(f, "- table {t} is missing")?,
                Drift::UnexpectedTable(t) => writeln!(f, "- table {t} is not declared")?,
                Drift::MissingEnum(e) => writeln!(f, "- enum type {e} is missing")?,
                Drift::UnexpectedEnum(e) => writeln!(f, "- enum type {e} is not declared")?,
                Drift::EnumLabels {
                    name,
                    declared,
                    live,
                } => writeln!(
                    f,
                    "- enum type {name} has labels {live:?}, declared {declared:?}"
                )?,
                Drift::Table { name, differences } => {
                    for d in differences {
                        write!(f, "- table {name}: ")?;
                        table_line(f, d)?;
                        writeln!(f)?;
                    }
                }
            }
        }
        Ok(())
    }
}

fn table_line(f: &mut fmt::Formatter<'_>, d: &TableDrift) -> fmt::Result {
    match d {
        TableDrift::Name { declared, live } => {
            write!(f, "its entry names {live}, declared {declared}")
        }
        TableDrift::MissingColumn(c) => write!(f, "column {c} is missing"),
        TableDrift::UnexpectedColumn(c) => write!(f, "column {c} is not declared"),
        TableDrift::Column { declared, live } => {
            write!(
                f,
                "column {} is {live:?}, declared {declared:?}",
                declared.name
            )
        }
        TableDrift::ColumnOrder { declared, live } => {
            write!(
                f,
                "columns are in the order {live:?}, declared {declared:?}"
            )
        }
        TableDrift::PrimaryKey { declared, live } => {
            write!(f, "the primary key is {live:?}, declared {declared:?}")
        }
        TableDrift::Missing(c) => write!(f, "{} {} is missing", c.kind(), c.name()),
        TableDrift::Unexpected(c) => write!(f, "{} {} is not declared", c.kind(), c.name()),
        TableDrift::Other { declared, live } => write!(f, "is {live:?}, declared {declared:?}"),
        TableDrift::Changed { declared, live } => write!(
            f,
            "{} {} is {live:?}, declared {declared:?}",
            declared.kind(),
            declared.name()
        ),
    }
}

/// Normalises a schema for comparison: PostgreSQL re-prints defaults, CHECK bodies and index
/// expressions in its own spelling ([`normalize_sql`] on both sides), and the database knows
/// nothing of Rust names or of what a release renamed, dropped, backfilled or converted.
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

/// Words that continue a type name PostgreSQL prints in several words (`character varying`,
/// `double precision`, `timestamp(3) with time zone`, `bit varying`).
const TYPE_NAME_WORDS: &[&str] = &[
    "varying",
    "precision",
    "with",
    "without",
    "time",
    "zone",
    "local",
];

/// Skips the type name after `::`: its words, dots, quotes, a type modifier in parentheses
/// and array brackets.
fn skip_type_name(chars: &mut std::iter::Peekable<std::str::Chars<'_>>) {
    let is_name = |c: char| c.is_alphanumeric() || c == '_' || c == '.' || c == '"';
    loop {
        while chars.peek().copied().is_some_and(is_name) {
            chars.next();
        }
        // A modifier, `(80)` or `(12,2)`.
        if chars.peek() == Some(&'(') {
            let rest: String = chars.clone().take_while(|c| *c != ')').collect();
            if rest[1..]
                .chars()
                .all(|c| c.is_ascii_digit() || c == ',' || c == ' ')
            {
                for _ in 0..=rest.len() {
                    chars.next();
                }
            }
        }
        while chars.peek() == Some(&'[') || chars.peek() == Some(&']') {
            chars.next();
        }
        // Another word of the same type name?
        let ahead: String = chars
            .clone()
            .skip_while(|c| *c == ' ')
            .take_while(|c| is_name(*c))
            .collect();
        if chars.peek() == Some(&' ')
            && TYPE_NAME_WORDS.contains(&ahead.to_ascii_lowercase().as_str())
        {
            while chars.peek() == Some(&' ') {
                chars.next();
            }
            continue;
        }
        return;
    }
}

/// A loose canonical form of an SQL expression, for comparison only: lower-cased outside
/// string literals, without casts (`::text`, `::jsonb`, `::order_status`), parentheses or
/// whitespace. Two expressions PostgreSQL prints differently from how they were declared
/// (`'x'::text` for `'x'`, `(a > 0)` for `a > 0`) come out the same.
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
            skip_type_name(&mut chars);
            continue;
        }
        if c == '(' || c == ')' || c.is_whitespace() {
            continue;
        }
        out.extend(c.to_lowercase());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use migrate_contract::model::{ColumnType, PgType};

    fn users() -> Schema {
        let column = |name: &str, ty: PgType, default: Option<&str>| Column {
            name: name.into(),
            ty: ColumnType::builtin(ty),
            nullable: false,
            default: default.map(str::to_owned),
            identity: false,
            backfill: None,
            renamed_from: None,
            convert: None,
        };
        let name = QualifiedName::new("public", "users");
        let table = Table {
            name: name.clone(),
            rust_name: "User".into(),
            renamed_from: None,
            columns: vec![
                column("id", PgType::BigInt, None),
                column("state", PgType::Text, Some("'new'")),
            ],
            primary_key: vec!["id".into()],
            uniques: Vec::new(),
            indexes: Vec::new(),
            checks: vec![Check {
                name: "users_state_check".into(),
                expr: "state <> ''".into(),
            }],
            foreign_keys: Vec::new(),
            dropped_columns: Vec::new(),
        };
        let mut schema = Schema::default();
        schema.tables.insert(name.key(), table);
        schema
    }

    fn table(schema: &mut Schema) -> &mut Table {
        schema.tables.values_mut().next().unwrap()
    }

    #[test]
    fn postgres_spellings_and_rust_names_are_no_drift() {
        let declared = users();
        let mut live = users();
        let t = table(&mut live);
        t.rust_name.clear();
        t.columns[1].default = Some("'new'::text".into());
        t.checks[0].expr = "CHECK ((state <> ''::text))".into();
        assert_eq!(schema_drift(&live, &declared), None);
    }

    #[test]
    fn drift_names_what_differs() {
        let declared = users();
        let mut live = users();
        let t = table(&mut live);
        t.columns[1].nullable = true;
        t.columns.push(Column {
            name: "extra".into(),
            ..t.columns[1].clone()
        });
        t.checks.clear();
        let drift = schema_drift(&live, &declared).expect("drift");
        let Drift::Table { name, differences } = &drift.differences[0] else {
            panic!("{drift:?}");
        };
        assert_eq!(name, &QualifiedName::new("public", "users"));
        assert!(matches!(
            &differences[0],
            TableDrift::Column { declared, live } if declared.name == "state" && live.nullable
        ));
        assert_eq!(differences[1], TableDrift::UnexpectedColumn("extra".into()));
        assert!(
            matches!(&differences[2], TableDrift::Missing(Constraint::Check(c)) if c.name == "users_state_check")
        );
        assert_eq!(differences.len(), 3);
        let text = drift.to_string();
        assert!(
            text.contains("check constraint users_state_check is missing"),
            "{text}"
        );
    }

    #[test]
    fn missing_tables_reordered_columns_and_enum_labels_are_drift() {
        let declared = users();
        let mut live = users();
        table(&mut live).columns.reverse();
        let status = QualifiedName::new("public", "status");
        let labels = |v: &[&str]| EnumType {
            name: status.clone(),
            rust_name: String::new(),
            values: v.iter().map(|s| (*s).to_owned()).collect(),
        };
        let (mut declared_with_enum, mut live_with_enum) = (declared.clone(), live.clone());
        declared_with_enum
            .enums
            .insert(status.key(), labels(&["a", "b"]));
        live_with_enum
            .enums
            .insert(status.key(), labels(&["b", "a"]));
        let drift = schema_drift(&live_with_enum, &declared_with_enum).expect("drift");
        assert!(matches!(
            &drift.differences[..],
            [Drift::Table { differences, .. }, Drift::EnumLabels { .. }]
                if matches!(differences[..], [TableDrift::ColumnOrder { .. }])
        ));
        let drift = schema_drift(&Schema::default(), &declared).expect("drift");
        assert_eq!(
            drift.differences,
            [Drift::MissingTable(QualifiedName::new("public", "users"))]
        );
    }

    #[test]
    fn normalize_keeps_literals_and_drops_casts() {
        assert_eq!(normalize_sql("'A b'::text"), "'A b'");
        assert_eq!(normalize_sql("(Total >= 0)"), "total>=0");
        assert_eq!(normalize_sql("'it''s'::text"), "'it''s'");
        assert_eq!(
            normalize_sql("lower((email)::text)"),
            normalize_sql("lower(email)")
        );
    }

    #[test]
    fn normalize_drops_casts_to_types_of_several_words() {
        for (printed, declared) in [
            ("'x'::character varying", "'x'"),
            ("'x'::character varying(80)", "'x'"),
            ("'1.5'::double precision", "'1.5'"),
            ("'2020-01-01'::timestamp with time zone", "'2020-01-01'"),
            ("now()::timestamp(3) without time zone", "now()"),
            ("'{}'::integer[]", "'{}'"),
            ("(price)::numeric(12,2) > 0", "price > 0"),
            ("'a'::text < name", "'a' < name"),
        ] {
            assert_eq!(normalize_sql(printed), normalize_sql(declared), "{printed}");
        }
        // A word after a cast that is not part of the type stays.
        assert_eq!(normalize_sql("a::int or b"), "aorb");
    }
}
