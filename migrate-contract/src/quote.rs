//! The one quoting path: every identifier and literal the generated SQL carries goes through it.

/// Quotes an identifier: `"name"`, doubling embedded quotes.
pub fn quote_ident(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 2);
    push_quoted(&mut out, name, '"');
    out
}

/// Quotes a string literal: `'text'`, doubling embedded quotes. Text holding a backslash is
/// written as an escape string (`E'a\\b'`), which means the same whether or not the server
/// runs with `standard_conforming_strings`, so no setting can turn a backslash into an escape
/// that ends the literal early.
pub fn quote_literal(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 3);
    if text.contains('\\') {
        out.push('E');
        push_quoted(&mut out, &text.replace('\\', "\\\\"), '\'');
    } else {
        push_quoted(&mut out, text, '\'');
    }
    out
}

/// Appends `text` between `quote`s, doubling every `quote` inside it.
pub fn push_quoted(out: &mut String, text: &str, quote: char) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_doubled_and_backslashes_escaped() {
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("a\\b'c"), "E'a\\\\b''c'");
        let mut out = String::new();
        push_quoted(&mut out, "x''y", '\'');
        assert_eq!(out, "'x''''y'");
    }
}
