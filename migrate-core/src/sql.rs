//! SQL helpers shared by every stage: identifier quoting and length limits, parsing the SQL
//! snippets that attributes carry (with sqlparser, PostgreSQL dialect), canonical type names,
//! default-expression volatility and deterministic generated names.

use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap};
use std::ops::ControlFlow;

use sha2::{Digest, Sha256};
use sqlparser::ast::{Expr, Ident, visit_expressions, visit_expressions_mut};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, Tokenizer, TokenizerError};

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

/// Text that must be printable holds a [control character](is_control_character). `Display`
/// is a predicate ("holds the control character U+000A at byte 3"), for a sentence that names
/// the text first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("holds the control character {} at byte {at}", char_code(*found))]
pub struct NotPrintable {
    /// The first offending character.
    pub found: char,
    /// Its byte offset.
    pub at: usize,
}

/// Checks text that is not a name but reaches the generated files (an enum label, a reason, a
/// description): no [control character](is_control_character). The error says which and where.
pub fn check_printable(text: &str) -> Result<(), NotPrintable> {
    match first_control_character(text) {
        None => Ok(()),
        Some((at, found)) => Err(NotPrintable { found, at }),
    }
}

/// Why a SQL expression (a default, a CHECK, an index key or predicate) was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExprError {
    /// sqlparser refused it.
    #[error("{0}")]
    Syntax(#[from] ParserError),
    /// Something follows the one expression.
    #[error("unexpected `{found}` after the expression")]
    Trailing {
        /// The first token after it.
        found: String,
    },
}

/// Why a generated script did not pass [`parse_script`].
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum ScriptError {
    /// sqlparser's tokenizer refused it.
    #[error("{0}")]
    Tokenize(#[from] TokenizerError),
    /// sqlparser refused a statement.
    #[error("{0}")]
    Syntax(#[from] ParserError),
    /// `DO $$` without its `END\n$$;`.
    #[error("unterminated DO block")]
    UnterminatedDo,
    /// A `DO` block not in the shape the planner writes.
    #[error("a DO block must be `DO $$\\nBEGIN\\n … END\\n$$;`")]
    MalformedDo,
    /// A `$$` inside a `DO` block's body, which ends the block early.
    #[error("a DO block's body holds `$$`, which ends the block early:\n{body}")]
    DollarQuoteInBody {
        /// The body.
        body: String,
    },
    /// An `IF` in a `DO` block without its `THEN`.
    #[error("`IF` without `THEN` in a DO block")]
    IfWithoutThen,
    /// A `RAISE EXCEPTION` line that does not tokenize.
    #[error("`{line}`: {source}")]
    RaiseTokens {
        /// The line.
        line: String,
        /// Why.
        source: TokenizerError,
    },
    /// A `RAISE EXCEPTION` line not of the form `RAISE EXCEPTION '…'[, …];`.
    #[error("`{line}` is not `RAISE EXCEPTION '…'[, …];`")]
    MalformedRaise {
        /// The line.
        line: String,
    },
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
pub fn normalize_expr(text: &str) -> Result<String, ExprError> {
    thread_local! {
        static NORMALIZED: Memo<Result<String, ExprError>> = Memo::default();
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
pub fn expr_facts(text: &str) -> Result<ExprFacts, ExprError> {
    thread_local! {
        static FACTS: Memo<Result<ExprFacts, ExprError>> = Memo::default();
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
pub(crate) struct Memo<T> {
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

    pub(crate) fn get_or(&self, text: &str, compute: impl FnOnce() -> T) -> T {
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
pub fn parse_expr(text: &str) -> Result<Expr, ExprError> {
    let dialect = PostgreSqlDialect {};
    let mut parser = Parser::new(&dialect).try_with_sql(text)?;
    let expr = parser.parse_expr()?;
    let next = parser.peek_token();
    if next.token != Token::EOF {
        return Err(ExprError::Trailing {
            found: next.token.to_string(),
        });
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
pub fn column_references(expr: &str) -> Result<BTreeSet<String>, ExprError> {
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

/// The volatility of a default or backfill value given as text; unparsable counts as volatile.
pub fn volatility(expr: &str) -> Volatility {
    parse_expr(expr).map_or(Volatility::Volatile, |e| default_volatility(&e))
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
pub fn parse_script(script: &str) -> Result<usize, ScriptError> {
    let mut count = 0;
    let mut rest = script;
    while let Some(start) = rest.find("DO $$") {
        count += parse_statements(&rest[..start])?;
        let block = &rest[start..];
        let end = block.find("END\n$$;").ok_or(ScriptError::UnterminatedDo)? + "END\n$$;".len();
        let body = block[..end]
            .strip_prefix("DO $$\nBEGIN\n")
            .and_then(|b| b.strip_suffix("END\n$$;"))
            .ok_or(ScriptError::MalformedDo)?;
        // PostgreSQL ends the block at the first `$$`, quoted or not: one inside the body means
        // the rest of it runs as statements of its own.
        if body.contains("$$") {
            return Err(ScriptError::DollarQuoteInBody {
                body: body.to_owned(),
            });
        }
        count += parse_guarded_body(body)?;
        rest = &block[end..];
    }
    count += parse_statements(rest)?;
    Ok(count)
}

fn parse_statements(sql: &str) -> Result<usize, ScriptError> {
    let sql = sql.replace("DROP INDEX CONCURRENTLY IF EXISTS", "DROP INDEX IF EXISTS");
    let dialect = PostgreSqlDialect {};
    let mut tokens = Tokenizer::new(&dialect, &sql).tokenize_with_location()?;
    // sqlparser takes an escape string (`E'a\\b'`, how `quote_literal` writes a backslash)
    // only where it takes an expression; PostgreSQL takes it wherever a string goes (an enum
    // label). It is read here as the plain string it stands for.
    for token in &mut tokens {
        if let Token::EscapedStringLiteral(text) = &mut token.token {
            token.token = Token::SingleQuotedString(std::mem::take(text));
        }
    }
    Ok(Parser::new(&dialect)
        .with_tokens_with_locations(tokens)
        .parse_statements()?
        .len())
}

/// The body of a generated guard: `IF <condition> THEN` (the condition may span lines),
/// statements, `RAISE EXCEPTION …;` and `END IF;`, nested.
fn parse_guarded_body(body: &str) -> Result<usize, ScriptError> {
    let mut count = 0;
    let mut statements = String::new();
    let mut rest = body;
    while !rest.is_empty() {
        let line_end = rest.find('\n').map_or(rest.len(), |i| i + 1);
        let line = rest[..line_end].trim();
        if line.starts_with("IF ") {
            let condition_start = rest.find("IF ").unwrap_or(0) + "IF ".len();
            let then = rest.find(" THEN\n").ok_or(ScriptError::IfWithoutThen)?;
            parse_statements(&format!("SELECT {}", &rest[condition_start..then]))?;
            rest = &rest[then + " THEN\n".len()..];
            continue;
        }
        if let Some(arguments) = line.strip_prefix("RAISE EXCEPTION ") {
            // PL/pgSQL, not SQL: the message literal (and its arguments) must at least be
            // tokens ending in `;`, one statement.
            let tokens = Tokenizer::new(&PostgreSqlDialect {}, arguments)
                .tokenize()
                .map_err(|source| ScriptError::RaiseTokens {
                    line: line.to_owned(),
                    source,
                })?;
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
                return Err(ScriptError::MalformedRaise {
                    line: line.to_owned(),
                });
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
        assert!(matches!(
            parse_script(block),
            Err(ScriptError::DollarQuoteInBody { .. })
        ));
        assert!(
            parse_script(block)
                .unwrap_err()
                .to_string()
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
    fn error_texts_read_as_sentences() {
        assert_eq!(
            parse_expr("1 2").unwrap_err().to_string(),
            "unexpected `2` after the expression"
        );
        assert!(
            parse_expr("price >")
                .unwrap_err()
                .to_string()
                .starts_with("sql parser error: ")
        );
        assert_eq!(
            check_printable("a\nb").unwrap_err().to_string(),
            "holds the control character U+000A at byte 1"
        );
        assert_eq!(
            parse_script("DO $$\nBEGIN\n").unwrap_err().to_string(),
            "unterminated DO block"
        );
        assert_eq!(
            parse_script("DO $$\nEND\n$$;").unwrap_err().to_string(),
            "a DO block must be `DO $$\\nBEGIN\\n … END\\n$$;`"
        );
    }

    #[test]
    fn volatility_of_text_counts_unparsable_as_volatile() {
        assert_eq!(volatility("now()"), Volatility::NonVolatile);
        assert_eq!(volatility("'{}'::jsonb"), Volatility::NonVolatile);
        assert_eq!(volatility("gen_random_uuid()"), Volatility::Volatile);
        assert_eq!(volatility("now("), Volatility::Volatile);
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
