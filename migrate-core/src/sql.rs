//! SQL helpers shared by every stage: identifier quoting and length limits, parsing the SQL
//! snippets that attributes carry (with sqlparser, PostgreSQL dialect), canonical type names,
//! default-expression volatility and deterministic generated names.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::ops::ControlFlow;

use sha2::{Digest, Sha256};
use sqlparser::ast::{Expr, Ident, visit_expressions, visit_expressions_mut};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Token, Tokenizer};

/// PostgreSQL truncates identifiers longer than this many bytes (NAMEDATALEN - 1).
pub const MAX_IDENT_BYTES: usize = 63;

// The one quoting path lives in the contract crate; every SQL writer here uses it.
pub use migrate_contract::{push_quoted, quote_ident, quote_literal};

/// A `RAISE EXCEPTION` message as a literal: [`quote_literal`] with every `%` doubled, since
/// `RAISE` reads a lone `%` as a placeholder and fails for want of its argument.
pub fn raise_message(text: &str) -> String {
    quote_literal(&text.replace('%', "%%"))
}

/// A `RAISE EXCEPTION` format literal: `before`, one `%` placeholder, `after`, with every `%`
/// of theirs doubled, so text taken from names can never add a placeholder.
pub fn raise_format(before: &str, after: &str) -> String {
    quote_literal(&format!(
        "{}%{}",
        before.replace('%', "%%"),
        after.replace('%', "%%")
    ))
}

/// Marks where a count goes in a planner's message template (a check's failure text): a
/// control character, which no name or declared SQL can hold, so a name holding `{}` or `%`
/// can never be taken for it.
pub const COUNT_PLACEHOLDER: &str = "\u{1}";

/// Why a name cannot be used as a PostgreSQL identifier here.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdentError {
    /// The empty string.
    #[error("an identifier cannot be empty")]
    Empty,
    /// Longer than PostgreSQL keeps.
    #[error(
        "`{name}` is {bytes} bytes, and PostgreSQL silently truncates identifiers to {MAX_IDENT_BYTES} bytes: use a name of at most {MAX_IDENT_BYTES} bytes"
    )]
    TooLong {
        /// The name.
        name: String,
        /// Its length in bytes.
        bytes: usize,
    },
    /// Holds a dollar-quote delimiter (`$$`, `$tag$`), which would end the `DO $$ … $$` blocks
    /// and function bodies that carry names early.
    #[error(
        "`{name}` holds a dollar-quote delimiter (`$$` or `$tag$`), which would end the generated `DO $$ … $$` blocks early; write the name without it"
    )]
    DollarQuote {
        /// The name.
        name: String,
    },
    /// Holds a character that ends or hides a line: the name would not stay inert in the
    /// comments and messages that carry it.
    #[error(
        "`{}` holds the control character {} at byte {at}: identifiers must be printable (it would end or hide a line in the generated files); write the name without it",
        escape_control(name),
        char_code(*found)
    )]
    ControlCharacter {
        /// The name.
        name: String,
        /// The first offending character.
        found: char,
        /// Its byte offset.
        at: usize,
    },
}

/// Checks an identifier the user declared (or the snapshot holds).
pub fn check_ident(name: &str) -> Result<(), IdentError> {
    if name.is_empty() {
        return Err(IdentError::Empty);
    }
    if let Some((at, found)) = first_control_character(name) {
        return Err(IdentError::ControlCharacter {
            name: name.to_owned(),
            found,
            at,
        });
    }
    if has_dollar_quote(name) {
        return Err(IdentError::DollarQuote {
            name: name.to_owned(),
        });
    }
    if name.len() > MAX_IDENT_BYTES {
        return Err(IdentError::TooLong {
            name: name.to_owned(),
            bytes: name.len(),
        });
    }
    Ok(())
}

/// Whether a character may not appear in a name or label: the C0 and C1 controls (newline,
/// carriage return, tab, NUL, …) and DEL, which end a `--` comment or a line, the Unicode line
/// and paragraph separators, the byte-order mark, and the bidirectional overrides, which make
/// text display otherwise than it reads.
pub fn is_control_character(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{200e}' | '\u{200f}' | '\u{202a}'
                ..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// The first [control character](is_control_character) in `text`, with its byte offset.
pub fn first_control_character(text: &str) -> Option<(usize, char)> {
    text.char_indices().find(|(_, c)| is_control_character(*c))
}

/// Checks text that is not a name but reaches the generated files (an enum label, a reason, a
/// description): no [control character](is_control_character). The error says which and where.
pub fn check_printable(text: &str) -> Result<(), String> {
    match first_control_character(text) {
        None => Ok(()),
        Some((at, c)) => Err(format!(
            "holds the control character {} at byte {at}",
            char_code(c)
        )),
    }
}

/// `U+000A`.
fn char_code(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// `text` with every [control character](is_control_character) written as `<U+000A>`: the one
/// form in which user text enters a line of a generated file (a `--` comment, a Markdown line)
/// without ending it. Text without such characters comes back unchanged.
pub fn escape_control(text: &str) -> std::borrow::Cow<'_, str> {
    if first_control_character(text).is_none() {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_control_character(c) {
            out.push('<');
            out.push_str(&char_code(c));
            out.push('>');
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Parses one SQL expression (a default, a CHECK, an index predicate or key) and returns its
/// normalised text, so that whitespace or keyword case never shows up as a schema change.
pub fn normalize_expr(text: &str) -> Result<String, String> {
    thread_local! {
        static NORMALIZED: Memo<Result<String, String>> = Memo::default();
    }
    NORMALIZED.with(|memo| memo.get_or(text, || Ok(parse_expr(text)?.to_string())))
}

/// Whether an expression holds a plain `'…'` literal with a backslash. Such a literal means one
/// thing under `standard_conforming_strings = on` and another under `off` (where `\'` does not
/// end it), so declared SQL must spell it as an escape string, `E'…'`, which means the same
/// under both. An expression that does not parse counts as holding one.
pub fn has_setting_dependent_literal(expr: &str) -> bool {
    expr_facts(expr).map_or(true, |f| f.setting_dependent)
}

fn literal_with_backslash(parsed: &Expr) -> bool {
    visit_expressions(parsed, |e| match e {
        Expr::Value(v)
            if matches!(&v.value, sqlparser::ast::Value::SingleQuotedString(t) if t.contains('\\')) =>
        {
            ControlFlow::Break(())
        }
        _ => ControlFlow::Continue(()),
    })
    .is_break()
}

/// What the checks on a declared SQL expression need to know of it, computed from one parse
/// and kept by text ([`expr_facts`]): a crate declares the same snippets over and over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExprFacts {
    /// Its normal form, as sqlparser prints it (what the snapshot stores).
    pub normalized: String,
    /// Whether the normal form parses back into itself.
    pub reads_back: bool,
    /// [`has_setting_dependent_literal`].
    pub setting_dependent: bool,
    /// [`has_subquery`].
    pub subquery: bool,
    /// The first aggregate or window function it calls.
    pub aggregate: Option<String>,
    /// The first function it calls that is not IMMUTABLE.
    pub not_immutable: Option<String>,
}

/// [`ExprFacts`] of a SQL expression; the error says why it does not parse.
pub fn expr_facts(text: &str) -> Result<ExprFacts, String> {
    thread_local! {
        static FACTS: Memo<Result<ExprFacts, String>> = Memo::default();
    }
    FACTS.with(|memo| {
        memo.get_or(text, || {
            let parsed = parse_expr(text)?;
            let normalized = parsed.to_string();
            let reads_back = normalized == text
                || parse_expr(&normalized).is_ok_and(|again| again.to_string() == normalized);
            Ok(ExprFacts {
                setting_dependent: literal_with_backslash(&parsed),
                subquery: has_subquery(&parsed),
                aggregate: first_call_of(&parsed, AGGREGATE_FUNCTIONS),
                not_immutable: first_call_of(&parsed, NOT_IMMUTABLE_FUNCTIONS),
                normalized,
                reads_back,
            })
        })
    })
}

/// Results of a pure function of a SQL snippet, by text: a crate declares the same defaults and
/// types over and over, and sqlparser costs microseconds per snippet. Bounded, so a long-lived
/// process (a proc-macro server) does not grow without end.
struct Memo<T> {
    map: RefCell<HashMap<String, T>>,
}

impl<T> Default for Memo<T> {
    fn default() -> Self {
        Self {
            map: RefCell::new(HashMap::new()),
        }
    }
}

impl<T: Clone> Memo<T> {
    const LIMIT: usize = 4096;

    fn get_or(&self, text: &str, compute: impl FnOnce() -> T) -> T {
        if let Some(hit) = self.map.borrow().get(text) {
            return hit.clone();
        }
        let value = compute();
        let mut map = self.map.borrow_mut();
        if map.len() >= Self::LIMIT {
            map.clear();
        }
        map.insert(text.to_owned(), value.clone());
        value
    }
}

/// Parses one SQL expression with the PostgreSQL dialect, requiring that nothing follows it.
pub fn parse_expr(text: &str) -> Result<Expr, String> {
    let dialect = PostgreSqlDialect {};
    let mut parser = Parser::new(&dialect)
        .try_with_sql(text)
        .map_err(|e| e.to_string())?;
    let expr = parser.parse_expr().map_err(|e| e.to_string())?;
    let next = parser.peek_token();
    if next.token != Token::EOF {
        return Err(format!("unexpected `{}` after the expression", next.token));
    }
    Ok(expr)
}

/// Whether an expression (a CHECK, an index key or predicate) reads this column. Only column
/// references count (not type or function names, nor literals); an expression that does not
/// parse counts as reading it, so it is never silently left behind.
pub fn mentions_column(expr: &str, column: &str) -> bool {
    let Ok(parsed) = parse_expr(expr) else {
        return true;
    };
    visit_expressions(&parsed, |e| {
        if column_reference(e).is_some_and(|name| name == column) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    })
    .is_break()
}

/// The expression with every reference to column `from` made a reference to column `to`,
/// printed as sqlparser prints it (the form the snapshot stores). `None` if it does not parse.
pub fn rename_column(expr: &str, from: &str, to: &str) -> Option<String> {
    qualify_column(expr, from, None, to)
}

/// Every column an expression reads (unquoted names folded to lower case), leaving out the
/// SQL keywords sqlparser reads as identifiers (`current_date`, …).
pub fn column_references(expr: &str) -> Result<BTreeSet<String>, String> {
    let parsed = parse_expr(expr)?;
    let mut found = BTreeSet::new();
    let _ = visit_expressions(&parsed, |e| {
        let keyword = matches!(e, Expr::Identifier(i)
            if i.quote_style.is_none()
                && NON_VOLATILE_FUNCTIONS.contains(&i.value.to_ascii_lowercase().as_str()));
        if let Some(name) = column_reference(e).filter(|_| !keyword) {
            found.insert(name);
        }
        ControlFlow::<()>::Continue(())
    });
    Ok(found)
}

/// The expression with every reference to column `column` made `qualifier."target"` (for a
/// trigger body: `NEW."code"`), or `"target"` without a qualifier. `None` if it does not parse.
pub fn qualify_column(
    expr: &str,
    column: &str,
    qualifier: Option<&str>,
    target: &str,
) -> Option<String> {
    let mut parsed = parse_expr(expr).ok()?;
    let _ = visit_expressions_mut(&mut parsed, |e| {
        if column_reference(e).is_some_and(|name| name == column) {
            let target = Ident::with_quote('"', target);
            *e = match qualifier {
                Some(q) => Expr::CompoundIdentifier(vec![Ident::new(q), target]),
                None => Expr::Identifier(target),
            };
        }
        ControlFlow::<()>::Continue(())
    });
    Some(parsed.to_string())
}

/// Whether SQL text holds a dollar-quote delimiter (`$$`, `$tag$`). Generated steps wrap
/// declared expressions in `DO $$ … $$` blocks, which such a delimiter would end early.
pub fn has_dollar_quote(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| {
        b == b'$' && {
            let tag_len = bytes[i + 1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count();
            let first_is_digit = bytes.get(i + 1).is_some_and(u8::is_ascii_digit);
            !first_is_digit && bytes.get(i + 1 + tag_len) == Some(&b'$')
        }
    })
}

/// A dollar-quote tag (`fill`, else `fill_1`, …) whose `$tag$` does not occur in `body`, so
/// a declared expression cannot end the quoted function body early.
pub fn dollar_tag(base: &str, body: &str) -> String {
    let mut tag = base.to_owned();
    let mut n = 0;
    while body.contains(&format!("${tag}$")) {
        n += 1;
        tag = format!("{base}_{n}");
    }
    tag
}

/// The column an expression node refers to: an identifier (unquoted ones fold to lower case)
/// or the last part of a qualified one.
fn column_reference(e: &Expr) -> Option<String> {
    let ident = match e {
        Expr::Identifier(ident) => ident,
        Expr::CompoundIdentifier(parts) => parts.last()?,
        _ => return None,
    };
    Some(match ident.quote_style {
        Some(_) => ident.value.clone(),
        None => ident.value.to_lowercase(),
    })
}

/// Parses a column type such as `varchar(80)` or `numeric(12, 2)` and returns PostgreSQL's
/// canonical spelling (what `format_type` prints) and the number of array dimensions.
pub fn canonical_type(text: &str) -> Result<(String, u8), String> {
    thread_local! {
        static TYPES: Memo<Result<(String, u8), String>> = Memo::default();
    }
    TYPES.with(|memo| memo.get_or(text, || parse_type(text)))
}

fn parse_type(text: &str) -> Result<(String, u8), String> {
    let dialect = PostgreSqlDialect {};
    let mut parser = Parser::new(&dialect)
        .try_with_sql(text)
        .map_err(|e| e.to_string())?;
    let data_type = parser.parse_data_type().map_err(|e| e.to_string())?;
    let next = parser.peek_token();
    if next.token != Token::EOF {
        return Err(format!("unexpected `{}` after the type", next.token));
    }
    canonical_type_text(&data_type.to_string())
}

/// Maps the printed form of a parsed type onto `format_type`'s spelling.
fn canonical_type_text(printed: &str) -> Result<(String, u8), String> {
    let mut text = printed.trim().to_ascii_lowercase();
    let mut dims = 0u8;
    while let Some(inner) = text.strip_suffix("[]") {
        text = inner.trim_end().to_owned();
        dims = dims
            .checked_add(1)
            .filter(|d| *d <= 6)
            .ok_or("PostgreSQL arrays have at most 6 dimensions")?;
    }
    if text.contains('[') {
        return Err(
            "declare array columns with `[]`; PostgreSQL does not enforce array sizes".into(),
        );
    }
    let with_tz = text.contains(" with time zone");
    let text = text
        .replace(" with time zone", "")
        .replace(" without time zone", "");
    let (base, mods) = match text.find('(') {
        Some(open) => {
            let close = text
                .rfind(')')
                .filter(|close| *close > open)
                .ok_or("unbalanced parentheses in the type")?;
            if !text[close + 1..].trim().is_empty() {
                return Err(format!(
                    "unexpected `{}` after the type modifiers",
                    text[close + 1..].trim()
                ));
            }
            let mods: Vec<String> = text[open + 1..close]
                .split(',')
                .map(|m| m.trim().to_owned())
                .collect();
            (text[..open].trim().to_owned(), mods)
        }
        None => (text.trim().to_owned(), Vec::new()),
    };
    let numbers = |max: usize| -> Result<Vec<u32>, String> {
        if mods.len() > max {
            return Err(format!("`{base}` takes at most {max} modifier(s)"));
        }
        mods.iter()
            .map(|m| {
                m.parse::<u32>()
                    .map_err(|_| format!("`{m}` is not a valid type modifier"))
            })
            .collect()
    };
    let precision = |name: &str, p: Vec<u32>| match p.first() {
        Some(p) => format!("{name}({p})"),
        None => name.to_owned(),
    };
    let canonical = match base.as_str() {
        "smallint" | "int2" => "smallint".to_owned(),
        "integer" | "int" | "int4" => "integer".to_owned(),
        "bigint" | "int8" => "bigint".to_owned(),
        "real" | "float4" => "real".to_owned(),
        "double precision" | "float8" | "double" => "double precision".to_owned(),
        "float" => match numbers(1)?.first() {
            Some(p) if *p <= 24 => "real".to_owned(),
            _ => "double precision".to_owned(),
        },
        "boolean" | "bool" => "boolean".to_owned(),
        "text" => "text".to_owned(),
        "varchar" | "character varying" => {
            precision("character varying", length(&base, numbers(1)?)?)
        }
        "char" | "character" | "bpchar" => {
            let n = length(&base, numbers(1)?)?;
            format!("character({})", n.first().copied().unwrap_or(1))
        }
        "numeric" | "decimal" | "dec" => match numbers(2)?.as_slice() {
            [] => "numeric".to_owned(),
            [p] => format!("numeric({p},0)"),
            [p, s] => format!("numeric({p},{s})"),
            _ => unreachable!("numbers(2) returns at most two"),
        },
        "timestamp" => precision_with_zone("timestamp", numbers(1)?, with_tz),
        "timestamptz" => precision_with_zone("timestamp", numbers(1)?, true),
        "time" => precision_with_zone("time", numbers(1)?, with_tz),
        "timetz" => precision_with_zone("time", numbers(1)?, true),
        "interval" => precision("interval", numbers(1)?),
        "serial" | "serial4" | "bigserial" | "serial8" | "smallserial" | "serial2" => {
            return Err(format!(
                "`{base}` is not a real type; declare the column as an integer with `identity`"
            ));
        }
        other => {
            // Any other type is written into DDL as it is spelled: only plain words (a
            // schema-qualified name at most) and plain modifiers, nothing quoted.
            let plain = |t: &str, extra: &[char]| {
                t.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                    && t.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || extra.contains(&c))
            };
            if !plain(other, &[' ', '.']) {
                return Err(format!(
                    "`{other}` is not a plain type name; declare a type by its unquoted name"
                ));
            }
            if let Some(bad) = mods.iter().find(|m| {
                !(plain(m, &[]) || m.bytes().all(|b| b.is_ascii_digit()) && !m.is_empty())
            }) {
                return Err(format!("`{bad}` is not a plain type modifier"));
            }
            if mods.is_empty() {
                other.to_owned()
            } else {
                format!("{other}({})", mods.join(","))
            }
        }
    };
    Ok((canonical, dims))
}

/// A character type's length: PostgreSQL refuses 0 and anything over 10485760.
fn length(base: &str, n: Vec<u32>) -> Result<Vec<u32>, String> {
    match n.first() {
        Some(0) => Err(format!(
            "`{base}(0)` is refused by PostgreSQL (the length must be at least 1); use `text` for no limit"
        )),
        Some(n) if *n > 10_485_760 => Err(format!(
            "`{base}({n})` is over PostgreSQL's limit of 10485760; use `text`"
        )),
        _ => Ok(n),
    }
}

fn precision_with_zone(name: &str, p: Vec<u32>, with_tz: bool) -> String {
    let zone = if with_tz {
        "with time zone"
    } else {
        "without time zone"
    };
    match p.first() {
        Some(p) => format!("{name}({p}) {zone}"),
        None => format!("{name} {zone}"),
    }
}

/// How a default expression behaves when PostgreSQL adds a column with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Volatility {
    /// Evaluated once at `ADD COLUMN` and stored in the catalog: metadata only on PG ≥ 11.
    NonVolatile,
    /// Evaluated per row (or unknown, which is treated the same): `ADD COLUMN` rewrites the table.
    Volatile,
}

/// Built-in functions known to be immutable or stable. Anything else counts as volatile.
const NON_VOLATILE_FUNCTIONS: &[&str] = &[
    "now",
    "current_timestamp",
    "current_date",
    "current_time",
    "localtimestamp",
    "localtime",
    "transaction_timestamp",
    "statement_timestamp",
    "current_user",
    "current_role",
    "session_user",
    "current_schema",
    "lower",
    "upper",
    "length",
    "abs",
    "coalesce",
    "nullif",
    "greatest",
    "least",
    "concat",
    "to_jsonb",
    "to_json",
    "jsonb_build_object",
    "jsonb_build_array",
    "json_build_object",
    "array",
    "make_date",
    "make_interval",
    "to_timestamp",
    "date_trunc",
];

/// Decides the volatility of a default expression from its syntax tree, erring towards
/// volatile: any function not known to be immutable or stable, and any subquery, counts.
pub fn default_volatility(expr: &Expr) -> Volatility {
    let verdict = visit_expressions(expr, |e| match e {
        Expr::Function(f) => {
            let name = f.name.to_string().to_ascii_lowercase();
            let name = name.trim_start_matches("pg_catalog.");
            if NON_VOLATILE_FUNCTIONS.contains(&name) {
                ControlFlow::Continue(())
            } else {
                ControlFlow::Break(())
            }
        }
        Expr::Subquery(_) | Expr::Exists { .. } | Expr::InSubquery { .. } => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    });
    if verdict.is_break() {
        Volatility::Volatile
    } else {
        Volatility::NonVolatile
    }
}

/// The first column an expression reads, if any (a default or backfill value cannot read one).
/// Keyword-like built-ins (`current_date`, `current_user`, …) do not count.
pub fn first_column_reference(expr: &Expr) -> Option<String> {
    let found = visit_expressions(expr, |e| match e {
        Expr::Identifier(ident)
            if !NON_VOLATILE_FUNCTIONS.contains(&ident.value.to_ascii_lowercase().as_str()) =>
        {
            ControlFlow::Break(ident.value.clone())
        }
        Expr::CompoundIdentifier(parts) => ControlFlow::Break(
            parts
                .iter()
                .map(|p| p.value.as_str())
                .collect::<Vec<_>>()
                .join("."),
        ),
        _ => ControlFlow::Continue(()),
    });
    match found {
        ControlFlow::Break(column) => Some(column),
        ControlFlow::Continue(()) => None,
    }
}

/// Whether an expression holds a subquery (`(SELECT …)`, `EXISTS`, `IN (SELECT …)`), which
/// PostgreSQL refuses in CHECK constraints, defaults and index keys or predicates.
pub fn has_subquery(expr: &Expr) -> bool {
    visit_expressions(expr, |e| match e {
        Expr::Subquery(_) | Expr::Exists { .. } | Expr::InSubquery { .. } => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    })
    .is_break()
}

/// Aggregate and window functions: PostgreSQL refuses them in CHECKs, defaults and indexes.
pub const AGGREGATE_FUNCTIONS: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "array_agg",
    "string_agg",
    "bool_and",
    "bool_or",
    "every",
    "json_agg",
    "jsonb_agg",
    "json_object_agg",
    "jsonb_object_agg",
    "bit_and",
    "bit_or",
    "stddev",
    "variance",
    "row_number",
    "rank",
    "dense_rank",
    "lag",
    "lead",
    "first_value",
    "last_value",
    "ntile",
];

/// Built-in functions that are not IMMUTABLE, which PostgreSQL refuses in index expressions and
/// predicates (only the clear cases: time, randomness, sequences, session state).
pub const NOT_IMMUTABLE_FUNCTIONS: &[&str] = &[
    "now",
    "current_timestamp",
    "current_date",
    "current_time",
    "localtimestamp",
    "localtime",
    "transaction_timestamp",
    "statement_timestamp",
    "clock_timestamp",
    "timeofday",
    "random",
    "gen_random_uuid",
    "uuid_generate_v4",
    "nextval",
    "currval",
    "current_user",
    "session_user",
    "current_setting",
    "txid_current",
];

/// SQL keywords that call a function with no parentheses.
const PARENTHESIS_FREE_CALLS: &[&str] = &[
    "current_date",
    "current_time",
    "current_timestamp",
    "localtime",
    "localtimestamp",
    "current_user",
    "session_user",
    "current_role",
    "user",
];

/// The first call in `expr` of one of `names` (lower case), also the keyword forms that take
/// no parentheses (`current_date`).
pub fn first_call_of(expr: &Expr, names: &[&str]) -> Option<String> {
    let mut found = None;
    let _ = visit_expressions(expr, |e| {
        let name = match e {
            Expr::Function(f) => f
                .name
                .0
                .last()
                .and_then(|p| p.as_ident())
                .map(|i| i.value.to_ascii_lowercase()),
            // Only the keywords that call a function without parentheses: a column named
            // `count` or `now` is a column.
            Expr::Identifier(i)
                if i.quote_style.is_none()
                    && PARENTHESIS_FREE_CALLS.contains(&i.value.to_ascii_lowercase().as_str()) =>
            {
                Some(i.value.to_ascii_lowercase())
            }
            _ => None,
        };
        match name.filter(|n| names.contains(&n.as_str())) {
            Some(n) => {
                found = Some(n);
                ControlFlow::Break(())
            }
            None => ControlFlow::Continue(()),
        }
    });
    found
}

/// Builds a deterministic generated name from parts (`users_email_key`). A name over 63 bytes
/// is cut and given a short hash of the full name, so two long names never collide.
pub fn generated_name(parts: &[&str], suffix: &str) -> String {
    // The sanitized parts, empty ones left out, joined by `_`.
    let mut base = String::with_capacity(MAX_IDENT_BYTES + 1);
    for part in parts {
        let before = base.len();
        if before > 0 {
            base.push('_');
        }
        let start = base.len();
        push_sanitized(&mut base, part);
        if base.len() == start {
            base.truncate(before);
        }
    }
    base.push('_');
    base.push_str(suffix);
    if base.len() <= MAX_IDENT_BYTES {
        return base;
    }
    let digest = Sha256::digest(base.as_bytes());
    let hash: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    let keep = MAX_IDENT_BYTES - hash.len() - suffix.len() - 2;
    let mut cut = keep;
    while !base.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}_{hash}_{suffix}", &base[..cut])
}

/// Like [`generated_name`], but always carrying a short hash of the exact parts, for names the
/// planner invents (shadow columns, triggers): two parts that sanitise alike (`"Points"` and
/// `points`, `a_b.c` and `a.b_c`) still get different names.
pub fn hashed_name(parts: &[&str], suffix: &str) -> String {
    let digest = Sha256::digest(parts.join("\u{0}").as_bytes());
    let hash: String = digest.iter().take(4).map(|b| format!("{b:02x}")).collect();
    generated_name(parts, &format!("{hash}_{suffix}"))
}

/// Appends the identifier-friendly characters of an expression, so it can be part of a name:
/// alphanumerics lowercased, every other run of characters one `_`, none at either end.
fn push_sanitized(out: &mut String, text: &str) {
    let start = out.len();
    for ch in text.chars() {
        if ch.is_ascii_alphanumeric() {
            out.push(ch.to_ascii_lowercase());
        } else if out.len() > start && !out.ends_with('_') {
            out.push('_');
        }
    }
    while out.len() > start && out.ends_with('_') {
        out.pop();
    }
}

/// Parses a generated script with sqlparser (PostgreSQL dialect); every generated statement
/// must pass. Returns the number of statements.
///
/// Two gaps of sqlparser are bridged, and only these: it does not parse PL/pgSQL, so in the
/// `DO $$ BEGIN … END $$;` guards the planner emits, each `IF <condition> THEN` condition and
/// each guarded statement are parsed instead (a `RAISE EXCEPTION` counts as one statement);
/// and it does not know `DROP INDEX CONCURRENTLY IF EXISTS`, which is parsed without
/// `CONCURRENTLY`.
pub fn parse_script(script: &str) -> Result<usize, String> {
    let mut count = 0;
    let mut rest = script;
    while let Some(start) = rest.find("DO $$") {
        count += parse_statements(&rest[..start])?;
        let block = &rest[start..];
        let end = block.find("END\n$$;").ok_or("unterminated DO block")? + "END\n$$;".len();
        let body = block[..end]
            .strip_prefix("DO $$\nBEGIN\n")
            .and_then(|b| b.strip_suffix("END\n$$;"))
            .ok_or("a DO block must be `DO $$\\nBEGIN\\n … END\\n$$;`")?;
        // PostgreSQL ends the block at the first `$$`, quoted or not: one inside the body means
        // the rest of it runs as statements of its own.
        if body.contains("$$") {
            return Err(format!(
                "a DO block's body holds `$$`, which ends the block early:\n{body}"
            ));
        }
        count += parse_guarded_body(body)?;
        rest = &block[end..];
    }
    count += parse_statements(rest)?;
    Ok(count)
}

fn parse_statements(sql: &str) -> Result<usize, String> {
    let sql = sql.replace("DROP INDEX CONCURRENTLY IF EXISTS", "DROP INDEX IF EXISTS");
    let dialect = PostgreSqlDialect {};
    let mut tokens = Tokenizer::new(&dialect, &sql)
        .tokenize_with_location()
        .map_err(|e| e.to_string())?;
    // sqlparser takes an escape string (`E'a\\b'`, how `quote_literal` writes a backslash)
    // only where it takes an expression; PostgreSQL takes it wherever a string goes (an enum
    // label). It is read here as the plain string it stands for.
    for token in &mut tokens {
        if let Token::EscapedStringLiteral(text) = &mut token.token {
            token.token = Token::SingleQuotedString(std::mem::take(text));
        }
    }
    Parser::new(&dialect)
        .with_tokens_with_locations(tokens)
        .parse_statements()
        .map(|s| s.len())
        .map_err(|e| e.to_string())
}

/// The body of a generated guard: `IF <condition> THEN` (the condition may span lines),
/// statements, `RAISE EXCEPTION …;` and `END IF;`, nested.
fn parse_guarded_body(body: &str) -> Result<usize, String> {
    let mut count = 0;
    let mut statements = String::new();
    let mut rest = body;
    while !rest.is_empty() {
        let line_end = rest.find('\n').map_or(rest.len(), |i| i + 1);
        let line = rest[..line_end].trim();
        if line.starts_with("IF ") {
            let condition_start = rest.find("IF ").unwrap_or(0) + "IF ".len();
            let then = rest
                .find(" THEN\n")
                .ok_or("`IF` without `THEN` in a DO block")?;
            parse_statements(&format!("SELECT {}", &rest[condition_start..then]))?;
            rest = &rest[then + " THEN\n".len()..];
            continue;
        }
        if let Some(arguments) = line.strip_prefix("RAISE EXCEPTION ") {
            // PL/pgSQL, not SQL: the message literal (and its arguments) must at least be
            // tokens ending in `;`, one statement.
            let tokens = Tokenizer::new(&PostgreSqlDialect {}, arguments)
                .tokenize()
                .map_err(|e| format!("`{line}`: {e}"))?;
            let starts_with_literal = matches!(
                tokens.first(),
                Some(Token::SingleQuotedString(_) | Token::EscapedStringLiteral(_))
            );
            let ends = tokens
                .iter()
                .rev()
                .find(|t| !matches!(t, Token::Whitespace(_)))
                == Some(&Token::SemiColon);
            if !starts_with_literal || !ends {
                return Err(format!("`{line}` is not `RAISE EXCEPTION '…'[, …];`"));
            }
            count += 1;
        } else if line != "END IF;" {
            statements.push_str(line);
            statements.push('\n');
        }
        rest = &rest[line_end..];
    }
    Ok(count + parse_statements(&statements)?)
}

#[cfg(test)]
mod tests {

    #[test]
    fn columns_named_like_functions_are_not_calls() {
        let calls = |t: &str| first_call_of(&parse_expr(t).unwrap(), AGGREGATE_FUNCTIONS);
        assert_eq!(calls("count > 0 AND max < 10"), None);
        assert_eq!(calls("count(*) > 0"), Some("count".into()));
        let volatile = |t: &str| first_call_of(&parse_expr(t).unwrap(), NOT_IMMUTABLE_FUNCTIONS);
        assert_eq!(volatile("now IS NOT NULL"), None);
        assert_eq!(volatile("d > current_date"), Some("current_date".into()));
    }

    #[test]
    fn a_do_block_whose_body_holds_dollar_quotes_does_not_parse() {
        let block = "DO $$\nBEGIN\n    IF true THEN\n        CREATE TYPE \"e$$x\" AS ENUM ('a');\n    END IF;\nEND\n$$;\n";
        assert!(
            parse_script(block)
                .unwrap_err()
                .contains("ends the block early")
        );
        let plain = block.replace("e$$x", "e_x");
        assert_eq!(parse_script(&plain), Ok(1));
    }

    #[test]
    fn names_with_dollar_quotes_or_control_characters_are_refused() {
        for name in ["e$$x", "a$tag$b", "x\ny", "x\u{85}", "x\u{202e}"] {
            assert!(check_ident(name).is_err(), "{name:?}");
        }
        for name in ["price$", "a$1", "weiß", "\"quoted\"", "50%"] {
            assert_eq!(check_ident(name), Ok(()), "{name:?}");
        }
    }

    #[test]
    fn raise_formats_keep_names_from_adding_placeholders() {
        assert_eq!(raise_format("t% has ", " rows"), "'t%% has % rows'");
        assert_eq!(raise_message("50% done"), "'50%% done'");
        assert_eq!(quote_literal("a\\b'c"), "E'a\\\\b''c'");
    }

    #[test]
    fn dollar_quotes_are_told_from_parameters_and_prices() {
        assert!(has_dollar_quote("$$x$$"));
        assert!(has_dollar_quote("$body$ x $body$"));
        assert!(!has_dollar_quote("'$5 off'"));
        assert!(!has_dollar_quote("$1 + 2"));
        assert!(!has_dollar_quote("price > 0"));
        assert_eq!(dollar_tag("fill", "no tags"), "fill");
        assert_eq!(dollar_tag("fill", "a $fill$ b"), "fill_1");
    }

    use super::*;

    #[test]
    fn canonical_types_match_format_type() {
        let cases = [
            ("int", "integer", 0),
            ("INT8", "bigint", 0),
            ("varchar(80)", "character varying(80)", 0),
            ("character varying", "character varying", 0),
            ("numeric(12, 2)", "numeric(12,2)", 0),
            ("decimal(10)", "numeric(10,0)", 0),
            ("timestamptz", "timestamp with time zone", 0),
            (
                "timestamp(3) with time zone",
                "timestamp(3) with time zone",
                0,
            ),
            ("timestamp", "timestamp without time zone", 0),
            ("text[]", "text", 1),
            ("int[][]", "integer", 2),
            ("citext", "citext", 0),
            ("bool", "boolean", 0),
            ("char", "character(1)", 0),
        ];
        for (input, name, dims) in cases {
            assert_eq!(
                canonical_type(input),
                Ok((name.to_owned(), dims)),
                "{input}"
            );
        }
    }

    #[test]
    fn malformed_types_are_errors_not_panics() {
        assert!(canonical_type("\"a)(b\"").is_err());
        assert!(canonical_type("int[][][][][][][]").is_err());
        assert!(canonical_type("int[3]").is_err());
    }

    #[test]
    fn serial_and_garbage_types_are_errors() {
        assert!(canonical_type("serial").unwrap_err().contains("identity"));
        assert!(canonical_type("varchar(").is_err());
        assert!(canonical_type("int garbage").is_err());
    }

    #[test]
    fn volatility_errs_towards_volatile() {
        let v = |s: &str| default_volatility(&parse_expr(s).unwrap());
        assert_eq!(v("0"), Volatility::NonVolatile);
        assert_eq!(v("'active'"), Volatility::NonVolatile);
        assert_eq!(v("'{}'::jsonb"), Volatility::NonVolatile);
        assert_eq!(v("now()"), Volatility::NonVolatile);
        assert_eq!(v("CURRENT_TIMESTAMP"), Volatility::NonVolatile);
        assert_eq!(v("gen_random_uuid()"), Volatility::Volatile);
        assert_eq!(v("random() * 10"), Volatility::Volatile);
        assert_eq!(v("my_function(1)"), Volatility::Volatile);
        assert_eq!(v("(SELECT 1)"), Volatility::Volatile);
    }

    #[test]
    fn expressions_are_normalised_and_checked() {
        assert_eq!(normalize_expr("lower( email )").unwrap(), "lower(email)");
        assert_eq!(
            normalize_expr("price>0 and  qty >= 1").unwrap(),
            "price > 0 AND qty >= 1"
        );
        assert!(normalize_expr("price >").is_err());
        assert!(normalize_expr("1; DROP TABLE users").is_err());
    }

    #[test]
    fn scripts_with_do_guards_parse() {
        let script = "SET LOCAL lock_timeout = '100ms';\nDO $$\nBEGIN\n    IF NOT EXISTS (SELECT 1) THEN\n        CREATE TYPE \"public\".\"s\" AS ENUM ('a', 'b');\n    END IF;\nEND\n$$;\nCREATE TABLE t (id int);\n";
        assert_eq!(parse_script(script), Ok(3));
        assert!(parse_script("DO $$\nBEGIN\n    IF NOT EXISTS (SELECT 1) THEN\n        CREATE TYPE oops AS;\n    END IF;\nEND\n$$;").is_err());
    }

    #[test]
    fn values_that_read_a_column_are_told_apart() {
        let first = |text: &str| first_column_reference(&parse_expr(text).unwrap());
        assert_eq!(first("lower(email)").as_deref(), Some("email"));
        assert_eq!(first("'unknown'"), None);
        assert_eq!(first("now()"), None);
        assert_eq!(first("current_date"), None);
        assert_eq!(first("gen_random_uuid()"), None);
    }

    #[test]
    fn column_references_are_found_and_renamed_outside_literals() {
        assert!(mentions_column("price > 0", "price"));
        assert!(mentions_column("\"price\" > 0", "price"));
        assert!(mentions_column("lower(Price) <> ''", "price"));
        assert!(!mentions_column("'price' <> label", "price"));
        assert!(!mentions_column("\"Price\" > 0", "price"));
        assert!(!mentions_column("made > '2024-01-01'::date", "date"));
        assert!(!mentions_column("length(label) > 0", "length"));
        assert_eq!(
            rename_column("price > 0 AND label <> 'price'", "price", "price_new").as_deref(),
            Some("\"price_new\" > 0 AND label <> 'price'")
        );
        assert_eq!(
            rename_column("date > '2024-01-01'::date", "date", "d2").as_deref(),
            Some("\"d2\" > '2024-01-01'::DATE")
        );
    }

    #[test]
    fn generated_names_fit_and_do_not_collide() {
        assert_eq!(
            generated_name(&["users", "email"], "key"),
            "users_email_key"
        );
        assert_eq!(
            generated_name(&["users", "lower(email)"], "idx"),
            "users_lower_email_idx"
        );
        assert_eq!(generated_name(&["", "t", "(x)", ""], "check"), "t_x_check");
        assert_eq!(generated_name(&["__", "a  b__", "c"], "idx"), "a_b_c_idx");
        assert_eq!(generated_name(&[], "pkey"), "_pkey");
        assert_eq!(generated_name(&["Été", "x"], "key"), "t_x_key");
        let long_a = generated_name(&[&"a".repeat(60), "first_column"], "idx");
        let long_b = generated_name(&[&"a".repeat(60), "second_column"], "idx");
        assert!(long_a.len() <= MAX_IDENT_BYTES && long_b.len() <= MAX_IDENT_BYTES);
        assert_ne!(long_a, long_b);
    }
}
