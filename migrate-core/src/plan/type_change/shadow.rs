//! C10 (and K4): a type change that is not binary-coercible, done through a shadow column.
//!
//! - **Expand**, one transaction per column: the shadow column (new type, nullable, no
//!   default) and the trigger that keeps it and the old column in step both ways (R4: created
//!   with the column it writes). With the other indexes of existing tables, after the
//!   release's new columns: copies of the column's accepted indexes on the shadow,
//!   CONCURRENTLY. A new unique index or constraint is not copied: it restricts the old
//!   binary's writes, so it is planned as I3, after the swap.
//! - **Backfill**: one job per table, a no-op `UPDATE … SET col = col` per batch of rows some
//!   shadow lacks; the triggers convert them. The new release's views, which show each shadow
//!   under its field's name, wait for it: the new binary must not read an empty shadow.
//! - **Contract**, once the old binary is gone: the backfill checked, NOT NULL readied on the
//!   shadows; then in one transaction the index copies checked valid, the triggers and the old
//!   columns dropped (their indexes, CHECKs and foreign keys go with them), the shadows renamed
//!   to the columns' names, the index copies renamed (or attached as unique constraints), and
//!   the CHECKs and foreign keys re-added NOT VALID; then each validated in its own
//!   transaction (K4).
//!
//! Defaults: an INSERT through one release's view must tell the trigger which column it wrote.
//! So during the transition neither physical column has a default; each release's view carries
//! its own (`ALTER TABLE <view> ALTER COLUMN … SET DEFAULT`), and the column that stays NULL is
//! the one to fill. Contract puts the declared default back on the physical column.

use std::collections::BTreeMap;

use crate::decide::{Decision, Verdict};
use crate::diff::Change;
use crate::model::{Column, ColumnType, Index, IndexKey, QualifiedName, Table};
use crate::plan::backfill::backfill_job;
use crate::plan::check::check_step;
use crate::plan::constraint::{lasting_constraint_steps, not_valid_then_validate};
use crate::plan::index::concurrent_index_steps;
use crate::plan::input::PlanInput;
use crate::plan::probe::column_exists;
use crate::plan::sql_parts::{foreign_key_clause, guarded};
use crate::plan::step::{Backfill, LockMode, Phase, Step, StepBuilder, Transaction};
use crate::sql::{self, quote_ident, quote_literal};
use migrate_contract::CatalogRow;

/// One column changing type through a shadow column.
#[derive(Debug, Clone)]
pub(in crate::plan) struct Shadow {
    /// The table (not renamed in this release: the verdict refuses that).
    pub table: QualifiedName,
    /// The column's name, before and after.
    pub column: String,
    /// The shadow column's name.
    pub shadow: String,
    /// The column as accepted.
    pub accepted: Column,
    /// The column as declared.
    pub declared: Column,
    trigger: String,
    function: QualifiedName,
}

/// The shadow columns of a release, keyed by (table key, column).
#[derive(Debug, Default)]
pub(in crate::plan) struct Shadows(BTreeMap<(String, String), Shadow>);

impl Shadows {
    /// Every phased C10 decision of the release.
    pub fn from_decisions(input: &PlanInput<'_>, decisions: &[&Decision]) -> Shadows {
        let mut shadows = Shadows::default();
        for d in decisions {
            let Change::AlterColumnType { table, column, .. } = &d.located.change else {
                continue;
            };
            if d.catalog != CatalogRow::C10 || !matches!(d.verdict, Verdict::Phased { .. }) {
                continue;
            }
            let (Some(accepted_table), Some(declared_table)) =
                (input.accepted.table(table), input.declared.table(table))
            else {
                continue;
            };
            let (Some(accepted), Some(declared)) =
                (accepted_table.column(column), declared_table.column(column))
            else {
                continue;
            };
            // Hashed names: columns that sanitise alike (`Points`, `points`), or tables and
            // columns that join alike (`a_b.c`, `a.b_c`), still get names of their own.
            let release = format!("r{}", input.release.number);
            let shadow = sql::hashed_name(&[column, &release], "shadow");
            let trigger = sql::hashed_name(&[&table.schema, &table.name, column, &release], "sync");
            shadows.0.insert(
                (table.key(), column.clone()),
                Shadow {
                    table: table.clone(),
                    column: column.clone(),
                    shadow,
                    accepted: accepted.clone(),
                    declared: declared.clone(),
                    function: QualifiedName::new(table.schema.clone(), trigger.clone()),
                    trigger,
                },
            );
        }
        shadows
    }

    /// The shadow of this column, if it has one.
    pub fn get(&self, table: &QualifiedName, column: &str) -> Option<&Shadow> {
        self.0.get(&(table.key(), column.to_owned()))
    }

    /// The shadowed columns of a table.
    pub fn of<'a>(&'a self, table: &'a QualifiedName) -> impl Iterator<Item = &'a Shadow> + 'a {
        self.0.values().filter(move |s| s.table == *table)
    }

    /// Whether this is the table's first shadowed column in `(table, column)` order: the whole
    /// table's plan is emitted once, there.
    pub fn first_of_table(&self, table: &QualifiedName, column: &str) -> bool {
        self.of(table).next().is_some_and(|s| s.column == column)
    }

    /// Whether an object over these columns or expressions belongs to a shadow's swap (then its
    /// own add step is not planned: the swap builds it on the new column).
    pub fn covers(&self, table: &QualifiedName, columns: &[String], exprs: &[&str]) -> bool {
        self.table_shadows(table).involves(columns, exprs)
    }

    /// Whether a decision's own plan is replaced by a shadow's.
    pub fn absorbs(&self, change: &Change) -> bool {
        match change {
            // A new unique index or constraint restricts the old binary's writes: it is not
            // built on the shadow in expand but planned as I3, in contract after the swap.
            Change::AddIndex { table, index } if !index.unique => {
                let (columns, exprs) = index_parts(index);
                self.covers(table, &columns, &exprs)
            }
            Change::AddCheck { table, check } => self.covers(table, &[], &[&check.expr]),
            Change::AddForeignKey { table, foreign_key } => {
                self.covers(table, &foreign_key.columns, &[])
            }
            Change::ChangeDefault { table, column, .. } => self.get(table, column).is_some(),
            _ => false,
        }
    }
}

fn index_parts(index: &Index) -> (Vec<String>, Vec<&str>) {
    let mut columns = Vec::new();
    let mut exprs: Vec<&str> = index.predicate.iter().map(String::as_str).collect();
    for key in &index.keys {
        match key {
            IndexKey::Column(c) => columns.push(c.clone()),
            IndexKey::Expr(e) => exprs.push(e),
        }
    }
    (columns, exprs)
}

impl Shadow {
    fn col(&self) -> String {
        quote_ident(&self.column)
    }

    fn shadow_col(&self) -> String {
        quote_ident(&self.shadow)
    }

    /// One direction of the trigger's conversion: the declared expression (written over the
    /// column's name) reading `NEW.<source>`, or a cast of it to `target`. The old column's
    /// value goes to the new type with `to_new`; the shadow's to the old type with `to_old`.
    /// A declared expression is made strict (NULL gives NULL): the trigger reads a NULL as
    /// "the other release wrote this row", and the backfill leaves NULL rows alone.
    fn converted(&self, declared: Option<&str>, source: &str, target: &ColumnType) -> String {
        let read = format!("NEW.{}", quote_ident(source));
        declared
            .and_then(|expr| sql::qualify_column(expr, &self.column, Some("NEW"), source))
            .map(|expr| format!("CASE WHEN {read} IS NULL THEN NULL ELSE ({expr}) END"))
            .unwrap_or_else(|| format!("{read}::{}", target.sql()))
    }

    fn trigger_function(&self) -> String {
        let (col, shadow) = (self.col(), self.shadow_col());
        let convert = self.declared.convert.as_ref();
        let to_new = self.converted(
            convert.map(|c| c.to_new.as_str()),
            &self.column,
            &self.declared.ty,
        );
        let to_old = self.converted(
            convert.map(|c| c.to_old.as_str()),
            &self.shadow,
            &self.accepted.ty,
        );
        let body = format!(
            "BEGIN
    -- Each release's view writes one of the two columns; the trigger fills the other.
    IF TG_OP = 'INSERT' THEN
        IF NEW.{shadow} IS NULL THEN
            NEW.{shadow} := {to_new};
        ELSIF NEW.{col} IS NULL THEN
            NEW.{col} := {to_old};
        END IF;
    ELSIF NEW.{shadow} IS DISTINCT FROM OLD.{shadow} AND NEW.{col} IS NOT DISTINCT FROM OLD.{col} THEN
        NEW.{col} := {to_old};
    ELSIF NEW.{col} IS DISTINCT FROM OLD.{col} OR NEW.{shadow} IS NULL THEN
        -- Written through the old release, or touched by the backfill.
        NEW.{shadow} := {to_new};
    END IF;
    RETURN NEW;
END"
        );
        // A declared conversion is user SQL: its names resolve by the migration's search_path
        // (`FROM CURRENT`), not by the writing session's, and it cannot end the body early.
        let (tag, search_path) = match self.declared.convert {
            Some(_) => (
                sql::dollar_tag("sync", &body),
                " SET search_path FROM CURRENT",
            ),
            None => ("sync".to_owned(), ""),
        };
        format!(
            "CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql{search_path} AS ${tag}$\n{body}\n${tag}$;",
            function = self.function.sql(),
        )
    }

    /// Expand: the shadow column, its trigger and the default hand-over, in one transaction.
    fn expand_step(&self, input: &PlanInput<'_>) -> Step {
        let table = self.table.sql();
        let mut sql_text = vec![
            format!(
                "ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {} {};",
                self.shadow_col(),
                self.declared.ty.sql()
            ),
            self.trigger_function(),
            format!(
                "DROP TRIGGER IF EXISTS {trigger} ON {table};\nCREATE TRIGGER {trigger} BEFORE INSERT OR UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION {}();",
                self.function.sql(),
                trigger = quote_ident(&self.trigger),
            ),
        ];
        let mut rollback = vec![
            format!(
                "DROP TRIGGER IF EXISTS {} ON {table};",
                quote_ident(&self.trigger)
            ),
            format!("DROP FUNCTION IF EXISTS {}();", self.function.sql()),
            format!(
                "ALTER TABLE {table} DROP COLUMN IF EXISTS {};",
                self.shadow_col()
            ),
        ];
        if let Some(default) = &self.accepted.default {
            // The old release's default moves from the column to the old release's view.
            sql_text.push(format!(
                "ALTER TABLE {table} ALTER COLUMN {} DROP DEFAULT;",
                self.col()
            ));
            rollback.push(format!(
                "ALTER TABLE {table} ALTER COLUMN {} SET DEFAULT {default};",
                self.col()
            ));
            if input.previous.number > 0 {
                let view = format!(
                    "{}.{}",
                    quote_ident(&input.previous.views_schema),
                    quote_ident(&self.table.name)
                );
                sql_text.push(format!(
                    "ALTER TABLE {view} ALTER COLUMN {} SET DEFAULT {default};",
                    self.col()
                ));
                rollback.push(format!(
                    "ALTER TABLE IF EXISTS {view} ALTER COLUMN {} DROP DEFAULT;",
                    self.col()
                ));
            }
        }
        Step::new(
            Phase::Expand,
            CatalogRow::C10,
            format!(
                "add shadow column {}.{} ({}) for {} and the trigger that keeps both in step",
                self.table, self.shadow, self.declared.ty, self.column
            ),
            format!("shadow_{}_{}", self.table.name, self.column),
            sql_text.join("\n"),
        )
        .lock(LockMode::AccessExclusive, &self.table, false)
        .guard("IF NOT EXISTS / CREATE OR REPLACE / DROP TRIGGER IF EXISTS")
        .rollback(rollback.join("\n"))
    }

    /// The new release's view column default, when the declared column has one.
    pub fn view_default(&self, views_schema: &str) -> Option<String> {
        self.declared.default.as_ref().map(|default| {
            format!(
                "ALTER TABLE {}.{} ALTER COLUMN {} SET DEFAULT {default};",
                quote_ident(views_schema),
                quote_ident(&self.table.name),
                self.col()
            )
        })
    }

    /// The old release's view column default (expand moved the column's default there), for
    /// restoring that release's views when contract is rolled back before the swap.
    pub fn old_view_default(&self, views_schema: &str) -> Option<String> {
        self.accepted.default.as_ref().map(|default| {
            format!(
                "ALTER TABLE {}.{} ALTER COLUMN {} SET DEFAULT {default};",
                quote_ident(views_schema),
                quote_ident(&self.table.name),
                self.col()
            )
        })
    }

    fn not_null_check(&self) -> Option<String> {
        (!self.accepted.nullable && !self.declared.nullable)
            .then(|| sql::generated_name(&[&self.table.name, &self.shadow], "not_null"))
    }

    /// A catalog probe: whether the shadow column still exists (the swap has not run).
    pub(in crate::plan) fn present(&self) -> String {
        column_exists(&self.table, &self.shadow)
    }

    /// Contract, before the swap: a kept NOT NULL is readied on the shadow (CHECK NOT VALID,
    /// then VALIDATE without blocking writers). Each runs only while the shadow exists, so a
    /// re-run after the swap does nothing.
    fn contract_checks(&self) -> Vec<Step> {
        let present = self.present();
        self.unguarded_contract_checks()
            .into_iter()
            .map(|step| only_while(&present, step))
            .collect()
    }

    fn unguarded_contract_checks(&self) -> Vec<Step> {
        let shadow = self.shadow_col();
        match self.not_null_check() {
            Some(check) => not_valid_then_validate(
                &self.table,
                &check,
                &format!("CHECK ({shadow} IS NOT NULL)"),
                CatalogRow::C10,
                None,
            ),
            None => Vec::new(),
        }
    }

    /// The swap's statements for this column.
    fn swap(&self, views_schema: &str) -> Vec<String> {
        let table = self.table.sql();
        let (col, shadow) = (self.col(), self.shadow_col());
        let mut swap = vec![
            format!(
                "DROP TRIGGER IF EXISTS {} ON {table};",
                quote_ident(&self.trigger)
            ),
            format!("ALTER TABLE {table} DROP COLUMN IF EXISTS {col};"),
            format!("ALTER TABLE {table} RENAME COLUMN {shadow} TO {col};"),
        ];
        if let Some(check) = self.not_null_check() {
            swap.push(format!(
                "ALTER TABLE {table} ALTER COLUMN {col} SET NOT NULL;"
            ));
            swap.push(format!(
                "ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {};",
                quote_ident(&check)
            ));
        }
        if let Some(default) = &self.declared.default {
            swap.push(format!(
                "ALTER TABLE {table} ALTER COLUMN {col} SET DEFAULT {default};"
            ));
            // The column has it now; a default left on the view would outlive a later change.
            swap.push(format!(
                "ALTER TABLE IF EXISTS {}.{} ALTER COLUMN {col} DROP DEFAULT;",
                quote_ident(views_schema),
                quote_ident(&self.table.name)
            ));
        }
        swap
    }
}

/// What the swap puts back over a table's shadowed columns.
struct Restored {
    /// Checks, before anything is dropped, that each index copy is valid.
    validity: Vec<String>,
    /// Statements that rename or attach the index copies and re-add the CHECKs and foreign
    /// keys NOT VALID.
    swap: Vec<String>,
    /// The re-added constraints' validations, each in a transaction of its own (K4).
    validations: Vec<Step>,
    /// The tables the re-added foreign keys reference.
    parents: Vec<QualifiedName>,
}

/// The shadowed columns of one table and the objects over them.
struct TableShadows<'a> {
    columns: Vec<&'a Shadow>,
}

impl TableShadows<'_> {
    /// Rows some shadow of the table still lacks (`alias` prefixes the columns).
    fn pending(&self, alias: &str) -> String {
        self.columns
            .iter()
            .map(|s| {
                // A declared conversion may give NULL for a value (`nullif(code, '')::integer`):
                // such a row has nothing to fill, and the backfill would never be done.
                // Only where the new column may hold NULL: a NOT NULL one must wait (and the
                // rows left be shown) until such values are fixed.
                let converts_to_a_value = s
                    .declared
                    .convert
                    .as_ref()
                    .filter(|_| s.declared.nullable)
                    .and_then(|c| {
                        sql::qualify_column(
                            &c.to_new,
                            &s.column,
                            alias.strip_suffix('.'),
                            &s.column,
                        )
                    })
                    .map(|expr| format!(" AND ({expr}) IS NOT NULL"))
                    .unwrap_or_default();
                format!(
                    "({alias}{} IS NULL AND {alias}{} IS NOT NULL{converts_to_a_value})",
                    s.shadow_col(),
                    s.col()
                )
            })
            .collect::<Vec<_>>()
            .join(" OR ")
    }

    fn involves(&self, columns: &[String], exprs: &[&str]) -> bool {
        self.columns.iter().any(|s| {
            columns.contains(&s.column) || exprs.iter().any(|e| sql::mentions_column(e, &s.column))
        })
    }

    /// The declared indexes (unique constraints as unique indexes) over a shadowed column,
    /// each with its constraint name when it backs a unique constraint. Unique ones only when
    /// already accepted: a new one waits for contract (I3).
    fn indexes<'t>(
        &self,
        declared: &'t Table,
        accepted: Option<&Table>,
    ) -> Vec<(Index, Option<&'t str>)> {
        let accepted_index =
            |name: &str| accepted.is_some_and(|t| t.indexes.iter().any(|i| i.name == name));
        let accepted_unique =
            |name: &str| accepted.is_some_and(|t| t.uniques.iter().any(|u| u.name == name));
        let mut out = Vec::new();
        for index in &declared.indexes {
            let (columns, exprs) = index_parts(index);
            if self.involves(&columns, &exprs) && (!index.unique || accepted_index(&index.name)) {
                out.push((index.clone(), None));
            }
        }
        for unique in declared
            .uniques
            .iter()
            .filter(|u| self.involves(&u.columns, &[]) && accepted_unique(&u.name))
        {
            let index = Index::unique_btree(unique.name.clone(), &unique.columns);
            out.push((index, Some(unique.name.as_str())));
        }
        out
    }

    /// The index as built in expand: shadowed columns by their shadows, and the other columns
    /// by their physical names until contract (`renamed`: new name → old, for this release's
    /// renames).
    fn copy(&self, index: &Index, renamed: &[(String, String)]) -> Index {
        let physical: Vec<(&str, &str)> = self
            .columns
            .iter()
            .map(|s| (s.column.as_str(), s.shadow.as_str()))
            .chain(
                renamed
                    .iter()
                    .map(|(new, old)| (new.as_str(), old.as_str())),
            )
            .collect();
        let rename = |e: &str| {
            physical.iter().fold(e.to_owned(), |e, (from, to)| {
                sql::rename_column(&e, from, to).unwrap_or(e)
            })
        };
        let shadow_of = |c: &str| {
            physical
                .iter()
                .find(|(from, _)| *from == c)
                .map_or_else(|| c.to_owned(), |(_, to)| (*to).to_owned())
        };
        Index {
            name: sql::hashed_name(&[&index.name], "shadow"),
            keys: index
                .keys
                .iter()
                .map(|k| match k {
                    IndexKey::Column(c) => IndexKey::Column(shadow_of(c)),
                    IndexKey::Expr(e) => IndexKey::Expr(rename(e)),
                })
                .collect(),
            predicate: index.predicate.as_deref().map(rename),
            ..index.clone()
        }
    }

    /// Contract's first step for the table: the backfill checked complete, and each shadow
    /// column marked as checked (the swap requires the marks).
    fn backfill_check_step(&self, table: &QualifiedName, mark: &str) -> Step {
        let pending = self.pending("");
        let mut check = check_step(
                table,
                CatalogRow::C10,
                format!("check that the backfill filled every shadow column of {table}"),
                format!("check_shadows_{}", table.name),
                &format!("SELECT count(*) FROM {} WHERE {pending}", table.sql()),
                &format!(
                    "{table} has {} row(s) not yet copied to the new column types: the backfill is not complete; run it before contract",
                    sql::COUNT_PLACEHOLDER
                ),
            )
            // A full scan: alone, with no statement timeout.
            .own_transaction();
        // Passing, the check marks each shadow column, and the swap requires the marks: run by
        // hand after a check that refused, the swap stops instead of dropping old columns
        // whose values are not all copied yet.
        let marks: Vec<String> = self
            .columns
            .iter()
            .map(|s| {
                format!(
                    "    COMMENT ON COLUMN {}.{} IS {mark};\n",
                    table.sql(),
                    s.shadow_col()
                )
            })
            .collect();
        if let Some(end) = check.sql.rfind("END\n$$;") {
            check.sql.insert_str(end, &marks.concat());
        }
        // COMMENT takes SHARE UPDATE EXCLUSIVE, which lets writers through.
        check.lock(LockMode::ShareUpdateExclusive, table, false)
    }

    /// The declared indexes, CHECKs and foreign keys over the shadowed columns, put back by
    /// the swap on the new columns.
    fn restored_objects(&self, input: &PlanInput<'_>, table: &QualifiedName) -> Restored {
        let mut swap = Vec::new();
        let mut validations = Vec::new();
        let mut parents = Vec::new();
        let mut validity = Vec::new();
        if let Some(declared) = input.declared.table(table) {
            for (index, constraint) in self.indexes(declared, input.accepted.table(table)) {
                let copy = QualifiedName::new(table.schema.clone(), self.copy(&index, &[]).name);
                // An interrupted CONCURRENTLY build leaves an invalid index; it must not become
                // the real one. Checked before anything is dropped.
                validity.push(format!(
                    "IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_index WHERE indexrelid = to_regclass({}) AND indisvalid) THEN\n            RAISE EXCEPTION {};\n        END IF;",
                    quote_literal(&copy.sql()),
                    sql::raise_message(&format!(
                        "index {} (the copy of {} on the new column types) is missing or invalid: drop it CONCURRENTLY and run expand again",
                        copy.name, index.name
                    ))
                ));
                swap.push(match constraint {
                    Some(name) => format!(
                        "ALTER TABLE {} ADD CONSTRAINT {} UNIQUE USING INDEX {};",
                        table.sql(),
                        quote_ident(name),
                        quote_ident(&copy.name)
                    ),
                    None => format!(
                        "ALTER INDEX {} RENAME TO {};",
                        copy.sql(),
                        quote_ident(&index.name)
                    ),
                });
            }
            let checks = declared
                .checks
                .iter()
                .filter(|c| self.involves(&[], &[&c.expr]))
                .map(|c| (c.name.clone(), format!("CHECK ({})", c.expr), None));
            let foreign_keys = declared
                .foreign_keys
                .iter()
                .filter(|fk| self.involves(&fk.columns, &[]))
                .map(|fk| {
                    (
                        fk.name.clone(),
                        foreign_key_clause(fk),
                        Some(fk.references.clone()),
                    )
                });
            for (name, clause, parent) in checks.chain(foreign_keys) {
                swap.push(format!(
                    "ALTER TABLE {} ADD CONSTRAINT {} {clause} NOT VALID;",
                    table.sql(),
                    quote_ident(&name)
                ));
                validations.extend(
                    lasting_constraint_steps(
                        table,
                        &name,
                        &clause,
                        CatalogRow::K4,
                        parent.as_ref(),
                    )
                    .into_iter()
                    .filter(|s| s.transaction == Transaction::Own),
                );
                parents.extend(parent);
            }
        }
        Restored {
            validity,
            swap,
            validations,
            parents,
        }
    }
}

impl Shadows {
    fn table_shadows<'a>(&'a self, table: &'a QualifiedName) -> TableShadows<'a> {
        TableShadows {
            columns: self.of(table).collect(),
        }
    }

    /// Expand for every shadowed column of the table.
    pub fn expand_steps(&self, input: &PlanInput<'_>, table: &QualifiedName) -> Vec<Step> {
        self.of(table).map(|s| s.expand_step(input)).collect()
    }

    /// The tables with shadow columns.
    pub fn tables(&self) -> Vec<&QualifiedName> {
        let mut tables: Vec<&QualifiedName> = self.0.values().map(|s| &s.table).collect();
        tables.dedup();
        tables
    }

    /// Copies of the table's indexes over its shadows, CONCURRENTLY: planned with the other
    /// indexes of existing tables, after every column they cover exists.
    pub fn index_copy_steps(
        &self,
        input: &PlanInput<'_>,
        table: &QualifiedName,
        renamed: &[(String, String)],
    ) -> Vec<Step> {
        let group = self.table_shadows(table);
        let Some(declared) = input.declared.table(table) else {
            return Vec::new();
        };
        group
            .indexes(declared, input.accepted.table(table))
            .iter()
            .flat_map(|(index, _)| {
                concurrent_index_steps(table, &group.copy(index, renamed), CatalogRow::C10)
            })
            .collect()
    }

    /// One backfill per table: touching a row fires every shadow's trigger, so one walk fills
    /// them all; it is done when no shadow of the table lacks its value.
    pub fn backfill(
        &self,
        input: &PlanInput<'_>,
        table: &QualifiedName,
        physical_column: &dyn Fn(&str) -> String,
    ) -> Option<Backfill> {
        let declared = input.declared.table(table)?;
        let group = self.table_shadows(table);
        let first = group.columns.first()?;
        let col = first.col();
        let names: Vec<String> = group
            .columns
            .iter()
            .map(|s| format!("{} ({})", s.column, s.declared.ty))
            .collect();
        let mut backfill = backfill_job(
            CatalogRow::C10,
            declared,
            table,
            physical_column,
            &format!("{col} = t.{col}"),
            &|alias: &str| group.pending(alias),
            format!(
                "copy {table}.{} into shadow columns (the triggers convert each touched row)",
                names.join(", ")
            ),
        );
        backfill.before_deploy = true;
        Some(backfill)
    }

    /// The catalog probe that tells whether the table's shadows are still there (the swap has
    /// not run): steps that name them run only while it holds.
    pub fn present(&self, table: &QualifiedName) -> Option<String> {
        self.of(table).next().map(Shadow::present)
    }

    /// Contract: the checks, then the swap of every shadowed column of the table in one
    /// transaction (index copies renamed or attached, CHECKs and foreign keys re-added NOT
    /// VALID), then the validations (K4).
    pub fn contract_steps(&self, input: &PlanInput<'_>, table: &QualifiedName) -> Vec<Step> {
        let group = self.table_shadows(table);
        let mark = quote_literal(&backfill_checked_mark(input.release.number));
        let check = group.backfill_check_step(table, &mark);
        let mut steps = vec![check];
        steps.extend(group.columns.iter().flat_map(|s| s.contract_checks()));
        if let Some(present) = self.present(table) {
            steps = steps.into_iter().map(|s| only_while(&present, s)).collect();
        }
        let mut swap: Vec<String> = group
            .columns
            .iter()
            .flat_map(|s| s.swap(&input.release.views_schema))
            .collect();
        let Restored {
            mut validity,
            swap: restored,
            validations,
            parents,
        } = group.restored_objects(input, table);
        swap.extend(restored);
        for shadow in &group.columns {
            validity.push(format!(
                "IF pg_catalog.col_description({}::regclass, (SELECT attnum FROM pg_catalog.pg_attribute WHERE attrelid = {}::regclass AND attname = {})) IS DISTINCT FROM {mark} THEN\n            RAISE EXCEPTION {};\n        END IF;",
                quote_literal(&table.sql()),
                quote_literal(&table.sql()),
                quote_literal(&shadow.shadow),
                sql::raise_message(&format!(
                    "the shadow column {} of {table} has not passed the check that the backfill filled it (the check_shadows file of this contract); run the backfill, then that file, first",
                    shadow.shadow
                ))
            ));
            // The mark has served; the renamed column does not keep it.
            swap.push(format!(
                "COMMENT ON COLUMN {}.{} IS NULL;",
                table.sql(),
                shadow.col()
            ));
        }
        swap.splice(0..0, validity);
        let present = group
            .columns
            .first()
            .map(|s| s.present())
            .unwrap_or_default();
        let functions: Vec<String> = group
            .columns
            .iter()
            .map(|s| format!("DROP FUNCTION IF EXISTS {}();", s.function.sql()))
            .collect();
        let described: Vec<String> = group
            .columns
            .iter()
            .map(|s| format!("{} ({} → {})", s.column, s.accepted.ty, s.declared.ty))
            .collect();
        let mut step = Step::new(
            Phase::Contract,
            CatalogRow::C10,
            format!(
                "swap in the shadow columns of {table}: {}; drop the triggers and old columns, rename the shadows, restore their indexes and constraints",
                described.join(", ")
            ),
            format!("swap_{}", table.name),
            format!(
                "{}\n{}",
                guarded(&present, &swap.join("\n        ")),
                functions.join("\n")
            ),
        )
        .lock(LockMode::AccessExclusive, table, false)
        .guard("catalog probe: runs only while the shadow columns exist")
        .irreversible("the old columns are gone; their values live on, converted, in the new ones");
        // Dropping an old column drops its foreign keys, which takes ACCESS EXCLUSIVE on the
        // referenced table too (their triggers go); re-adding one takes SHARE ROW EXCLUSIVE.
        if let Some(accepted) = input.accepted.table(table) {
            for fk in accepted
                .foreign_keys
                .iter()
                .filter(|fk| group.involves(&fk.columns, &[]))
            {
                if fk.references != *table {
                    step = step.lock(LockMode::AccessExclusive, &fk.references, false);
                }
            }
        }
        for parent in &parents {
            if parent != table {
                step = step.lock(LockMode::ShareRowExclusive, parent, false);
            }
        }
        steps.push(step);
        steps.extend(validations);
        steps
    }
}

/// The comment the contract's shadow check leaves on a shadow column once every row is copied.
fn backfill_checked_mark(release: u32) -> String {
    format!("migrate: release {release} checked that the backfill filled this column")
}

/// The step, run only while `condition` holds: its guard gains an outer `IF`.
pub(in crate::plan) fn only_while(condition: &str, mut step: Step) -> Step {
    let body = step
        .sql
        .strip_prefix("DO $$\nBEGIN\n")
        .and_then(|b| b.strip_suffix("END\n$$;"))
        .map(|body| {
            body.lines()
                .map(|l| format!("    {l}"))
                .collect::<Vec<_>>()
                .join("\n")
        });
    step.sql = match body {
        Some(body) => {
            format!("DO $$\nBEGIN\n    IF {condition} THEN\n{body}\n    END IF;\nEND\n$$;")
        }
        None => guarded(condition, &step.sql),
    };
    step.idempotency = format!(
        "{}; runs only while the shadow column exists",
        step.idempotency
    );
    step
}
