//! The snapshot is input like any other: a hand edit, a bad merge or a hostile commit can put
//! anything in it, and what it holds is written into SQL (names, types, defaults, checks). Every
//! value is checked here, as it is loaded, with the same rules the attributes obey, and the
//! first bad one is reported with the file, the line and the value.

use std::path::Path;

use crate::model::ParseSqlType as _;
use crate::model::{ColumnType, IndexKey, PgType, QualifiedName, Schema, Table};
use crate::sql;

use super::{Snapshot, SnapshotError};

/// Index methods the attributes accept; nothing else may reach `USING …`.
const INDEX_METHODS: &[&str] = &["btree", "hash", "gin", "gist", "spgist", "brin"];

/// Checks every name, type and SQL snippet the snapshot holds.
pub(super) fn validate(snapshot: &Snapshot, text: &str, path: &Path) -> Result<(), SnapshotError> {
    let check = Checker { text, path };
    // Contract drops this schema: it must be the release's own, never one a hand edit names.
    let views_schema = &snapshot.release.views_schema;
    let expected = format!("release_{:04}", snapshot.release.number);
    if *views_schema != expected {
        return Err(check.invalid(
            "release.views_schema",
            views_schema,
            &format!(
                "release {} keeps its views in `{expected}`",
                snapshot.release.number
            ),
        ));
    }
    check.schema(&snapshot.schema)?;
    for (i, flight) in snapshot.in_flight.iter().enumerate() {
        check.printable(&format!("in_flight[{i}].description"), &flight.description)?;
    }
    for (file, hash) in &snapshot.generated {
        check.generated_path(file)?;
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(check.invalid(
                &format!("generated[{file:?}]"),
                hash,
                "a SHA-256 is 64 hexadecimal digits",
            ));
        }
    }
    Ok(())
}

struct Checker<'a> {
    text: &'a str,
    path: &'a Path,
}

impl Checker<'_> {
    fn schema(&self, schema: &Schema) -> Result<(), SnapshotError> {
        for (key, table) in &schema.tables {
            let at = format!("schema.tables[{key:?}]");
            self.qualified(&format!("{at}.name"), &table.name)?;
            if *key != table.name.key() {
                return Err(self.invalid(
                    &at,
                    key,
                    &format!("the key must be the table's name, `{}`", table.name.key()),
                ));
            }
            self.rust_name(&format!("{at}.rust_name"), &table.rust_name)?;
            self.table(&at, table)?;
        }
        for (i, dropped) in schema.dropped_tables.iter().enumerate() {
            self.qualified(&format!("schema.dropped_tables[{i}]"), dropped)?;
        }
        for (key, enum_type) in &schema.enums {
            let at = format!("schema.enums[{key:?}]");
            self.qualified(&format!("{at}.name"), &enum_type.name)?;
            if *key != enum_type.name.key() {
                return Err(self.invalid(
                    &at,
                    key,
                    &format!(
                        "the key must be the type's name, `{}`",
                        enum_type.name.key()
                    ),
                ));
            }
            self.rust_name(&format!("{at}.rust_name"), &enum_type.rust_name)?;
            for (i, label) in enum_type.values.iter().enumerate() {
                let field = format!("{at}.values[{i}]");
                if label.is_empty() || label.len() > sql::MAX_IDENT_BYTES {
                    return Err(self.invalid(&field, label, "an enum label is 1 to 63 bytes"));
                }
                self.printable(&field, label)?;
                if sql::has_dollar_quote(label) {
                    return Err(self.invalid(&field, label, "holds a dollar-quote delimiter"));
                }
            }
        }
        Ok(())
    }

    fn table(&self, at: &str, table: &Table) -> Result<(), SnapshotError> {
        if let Some(old) = &table.renamed_from {
            self.ident(&format!("{at}.renamed_from"), old)?;
        }
        for (i, column) in table.columns.iter().enumerate() {
            let at = format!("{at}.columns[{i}]");
            self.ident(&format!("{at}.name"), &column.name)?;
            self.column_type(&format!("{at}.type"), &column.ty)?;
            for (field, expr) in [("default", &column.default), ("backfill", &column.backfill)] {
                if let Some(expr) = expr {
                    self.expr(&format!("{at}.{field}"), expr)?;
                }
            }
            if let Some(old) = &column.renamed_from {
                self.ident(&format!("{at}.renamed_from"), old)?;
            }
            if let Some(convert) = &column.convert {
                self.expr(&format!("{at}.convert.to_new"), &convert.to_new)?;
                self.expr(&format!("{at}.convert.to_old"), &convert.to_old)?;
            }
        }
        self.idents(&format!("{at}.primary_key"), &table.primary_key)?;
        self.idents(&format!("{at}.dropped_columns"), &table.dropped_columns)?;
        for (i, unique) in table.uniques.iter().enumerate() {
            let at = format!("{at}.uniques[{i}]");
            self.ident(&format!("{at}.name"), &unique.name)?;
            self.idents(&format!("{at}.columns"), &unique.columns)?;
        }
        for (i, index) in table.indexes.iter().enumerate() {
            let at = format!("{at}.indexes[{i}]");
            self.ident(&format!("{at}.name"), &index.name)?;
            if !INDEX_METHODS.contains(&index.method.as_str()) {
                return Err(self.invalid(
                    &format!("{at}.method"),
                    &index.method,
                    "the index method must be one of btree, hash, gin, gist, spgist, brin",
                ));
            }
            for (k, key) in index.keys.iter().enumerate() {
                match key {
                    IndexKey::Column(column) => self.ident(&format!("{at}.keys[{k}]"), column)?,
                    IndexKey::Expr(expr) => self.expr(&format!("{at}.keys[{k}]"), expr)?,
                }
            }
            if let Some(predicate) = &index.predicate {
                self.expr(&format!("{at}.predicate"), predicate)?;
            }
        }
        for (i, check) in table.checks.iter().enumerate() {
            let at = format!("{at}.checks[{i}]");
            self.ident(&format!("{at}.name"), &check.name)?;
            self.expr(&format!("{at}.expr"), &check.expr)?;
        }
        for (i, fk) in table.foreign_keys.iter().enumerate() {
            let at = format!("{at}.foreign_keys[{i}]");
            self.ident(&format!("{at}.name"), &fk.name)?;
            self.idents(&format!("{at}.columns"), &fk.columns)?;
            self.qualified(&format!("{at}.references"), &fk.references)?;
            self.idents(&format!("{at}.referenced_columns"), &fk.referenced_columns)?;
        }
        Ok(())
    }

    fn qualified(&self, field: &str, name: &QualifiedName) -> Result<(), SnapshotError> {
        self.ident(&format!("{field}.schema"), &name.schema)?;
        if name.schema.contains('.') {
            return Err(self.invalid(
                &format!("{field}.schema"),
                &name.schema,
                "a schema name cannot hold a dot",
            ));
        }
        self.ident(&format!("{field}.name"), &name.name)
    }

    fn idents(&self, field: &str, names: &[String]) -> Result<(), SnapshotError> {
        names
            .iter()
            .enumerate()
            .try_for_each(|(i, name)| self.ident(&format!("{field}[{i}]"), name))
    }

    fn ident(&self, field: &str, name: &str) -> Result<(), SnapshotError> {
        sql::check_ident(name).map_err(|e| self.invalid(field, name, &e.to_string()))
    }

    /// A type must be exactly what the attribute parser would have stored for it.
    fn column_type(&self, field: &str, ty: &ColumnType) -> Result<(), SnapshotError> {
        match ty {
            ColumnType::Enum { name, .. } => self.qualified(field, name),
            ColumnType::Builtin { ty, .. } => {
                let name = &ty.to_string();
                self.printable(field, name)?;
                match PgType::parse_sql(name) {
                    Ok((canonical, 0)) if canonical == *ty => Ok(()),
                    Ok((canonical, _)) => Err(self.invalid(
                        field,
                        name,
                        &format!(
                            "not a type in canonical form (it reads as `{canonical}`); write the type as the build would"
                        ),
                    )),
                    Err(e) => Err(self.invalid(field, name, &format!("not a column type: {e}"))),
                }
            }
        }
    }

    /// An expression must parse alone and be in the normalised form the build stores.
    fn expr(&self, field: &str, expr: &str) -> Result<(), SnapshotError> {
        self.printable(field, expr)?;
        match sql::normalize_expr(expr) {
            Ok(normalized) if normalized == expr && !sql::has_dollar_quote(expr) => {
                if sql::has_setting_dependent_literal(expr) {
                    Err(self.invalid(
                        field,
                        expr,
                        "holds a '…' literal with a backslash, which reads differently under standard_conforming_strings = off",
                    ))
                } else {
                    Ok(())
                }
            }
            Ok(_) if sql::has_dollar_quote(expr) => Err(self.invalid(
                field,
                expr,
                "holds a dollar-quoted string, which the build never stores",
            )),
            Ok(normalized) => Err(self.invalid(
                field,
                expr,
                &format!("not in the form the build stores (`{normalized}`)"),
            )),
            Err(e) => Err(self.invalid(field, expr, &format!("not a single SQL expression: {e}"))),
        }
    }

    fn rust_name(&self, field: &str, name: &str) -> Result<(), SnapshotError> {
        let mut chars = name.chars();
        let starts_well = chars.next().is_some_and(|c| c.is_alphabetic() || c == '_');
        if starts_well && chars.all(|c| c.is_alphanumeric() || c == '_') {
            Ok(())
        } else {
            Err(self.invalid(field, name, "not a Rust type name"))
        }
    }

    fn printable(&self, field: &str, text: &str) -> Result<(), SnapshotError> {
        sql::check_printable(text).map_err(|why| self.invalid(field, text, &why.to_string()))
    }

    /// A generated file is named relative to the crate, inside it: the build helper reads and
    /// writes these paths.
    fn generated_path(&self, file: &str) -> Result<(), SnapshotError> {
        let inside = !file.is_empty()
            && !file.starts_with('/')
            && !file.contains('\\')
            && !file.contains(':')
            && file
                .split('/')
                .all(|part| !part.is_empty() && part != "." && part != "..")
            && sql::first_control_character(file).is_none();
        if inside {
            Ok(())
        } else {
            Err(self.invalid(
                "generated",
                file,
                "a generated file must be a relative path inside the crate (no `..`, no absolute path)",
            ))
        }
    }

    fn invalid(&self, field: &str, value: &str, message: &str) -> SnapshotError {
        SnapshotError::Invalid {
            path: self.path.to_owned(),
            line: line_of(self.text, value),
            field: field.to_owned(),
            value: format!("{:?}", value),
            message: message.to_owned(),
        }
    }
}

/// The 1-based line where `value` first appears as a JSON string in `text` (as serde_json
/// writes it, else as written raw), or 1 when it cannot be found (an unusual escape).
fn line_of(text: &str, value: &str) -> usize {
    let encoded = serde_json::to_string(value).unwrap_or_default();
    let at = text
        .find(&encoded)
        .or_else(|| (!value.is_empty()).then(|| text.find(value)).flatten());
    at.map_or(1, |at| {
        text[..at].bytes().filter(|b| *b == b'\n').count() + 1
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_of_finds_the_encoded_value() {
        let text = "{\n  \"a\": \"x\",\n  \"b\": \"evil\\nDROP\"\n}\n";
        assert_eq!(line_of(text, "evil\nDROP"), 3);
        assert_eq!(line_of(text, "missing"), 1);
    }
}
