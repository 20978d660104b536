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
use sqlparser::tokenizer::Token;

/// PostgreSQL truncates identifiers longer than this many bytes (NAMEDATALEN - 1).
pub const MAX_IDENT_BYTES: usize = 63;

/// Quotes an identifier: `"name"`, doubling embedded quotes.
pub fn quote_ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    push_quoted(&mut out, name, '"');
    out
}

/// Quotes a string literal: `'text'`, doubling embedded quotes.
pub fn quote_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    push_quoted(&mut out, text, '\'');
    out
}

/// Appends `text` between `quote`s, doubling every `quote` inside it.
pub(crate) fn push_quoted(out: &mut String, text: &str, quote: char) {
    out.push(quote);
    let mut rest = text;
    while let Some(at) = rest.find(quote) {
        out.push_str(&rest[..=at]);
        out.push(quote);
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
    out.push(quote);
}

/// Checks an identifier the user declared; the error text says what is wrong.
pub fn check_ident(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("an identifier cannot be empty".into());
    }
    if name.len() > MAX_IDENT_BYTES {
        return Err(format!(
            "`{name}` is {} bytes; PostgreSQL silently truncates identifiers to {MAX_IDENT_BYTES} bytes",
            name.len()
        ));
    }
    if name.contains('\0') {
        return Err("an identifier cannot contain a NUL byte".into());
    }
    Ok(())
}

/// Parses one SQL expression (a default, a CHECK, an index predicate or key) and returns its
/// normalised text, so that whitespace or keyword case never shows up as a schema change.
pub fn normalize_expr(text: &str) -> Result<String, String> {
    thread_local! {
        static NORMALIZED: Memo<Result<String, String>> = Memo::default();
    }
    NORMALIZED.with(|memo| memo.get_or(text, || Ok(parse_expr(text)?.to_string())))
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
        count += parse_guarded_body(body)?;
        rest = &block[end..];
    }
    count += parse_statements(rest)?;
    Ok(count)
}

fn parse_statements(sql: &str) -> Result<usize, String> {
    let sql = sql.replace("DROP INDEX CONCURRENTLY IF EXISTS", "DROP INDEX IF EXISTS");
    Parser::parse_sql(&PostgreSqlDialect {}, &sql)
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
        if line.starts_with("RAISE EXCEPTION '") {
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
