//! Renders diagnostics for a terminal: the file, the line, the offending declaration underlined,
//! then the help. Used for what only the build helper can see (cross-table problems).

use annotate_snippets::{Level, Renderer, Snippet};
use migrate_core::{Diagnostic, Severity};

use crate::discover::SourceFile;

/// Renders one diagnostic, with a snippet of the file its span points into.
pub fn render(diagnostic: &Diagnostic, files: &[SourceFile]) -> String {
    let level = match diagnostic.severity {
        Severity::Error => Level::Error,
        Severity::Warning => Level::Warning,
    };
    let file = files
        .iter()
        .find(|f| f.anchor.is_some_and(|a| a.join(diagnostic.span).is_some()));
    let origin = file.map(|f| f.path.display().to_string());
    let range = file.map(|f| byte_range(&f.text, diagnostic.span));
    let mut message = level.title(&diagnostic.message);
    if let (Some(file), Some(origin), Some(range)) = (file, origin.as_deref(), range) {
        message = message.snippet(
            Snippet::source(&file.text)
                .line_start(1)
                .origin(origin)
                .fold(true)
                .annotation(level.span(range)),
        );
    }
    if let Some(note) = &diagnostic.note {
        message = message.footer(Level::Note.title(note));
    }
    if let Some(help) = &diagnostic.help {
        message = message.footer(Level::Help.title(help));
    }
    Renderer::plain().render(message).to_string()
}

/// One line for the diagnostics not rendered: how many, and how many of each kind (the
/// message up to its first quoted name), most frequent first.
pub fn summary(hidden: &[Diagnostic], total: usize) -> String {
    let mut kinds: std::collections::BTreeMap<String, usize> = std::collections::BTreeMap::new();
    for d in hidden {
        // The message with each quoted name elided, up to its first `;`.
        let first = d.message.split(';').next().unwrap_or("");
        let kind: String = first
            .split('`')
            .enumerate()
            .map(|(i, part)| if i % 2 == 1 { "`…`" } else { part })
            .collect();
        *kinds.entry(kind.trim().to_owned()).or_default() += 1;
    }
    let mut kinds: Vec<(String, usize)> = kinds.into_iter().collect();
    kinds.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut out = format!(
        "error: {} more problem(s) not shown ({total} in all); fix the ones above and build again",
        hidden.len()
    );
    for (kind, count) in kinds.iter().take(5) {
        out.push_str(&format!("\n  - {count} × {kind}"));
    }
    if kinds.len() > 5 {
        out.push_str(&format!("\n  - and {} other kinds", kinds.len() - 5));
    }
    out.push('\n');
    out
}

/// The byte range of a span in its file, from its line/column (columns count chars).
fn byte_range(text: &str, span: proc_macro2::Span) -> std::ops::Range<usize> {
    let offset = |lc: proc_macro2::LineColumn| -> usize {
        let line_start: usize = text
            .split_inclusive('\n')
            .take(lc.line.saturating_sub(1))
            .map(str::len)
            .sum();
        let line = &text[line_start..];
        line_start
            + line
                .char_indices()
                .nth(lc.column)
                .map_or(line.len(), |(i, _)| i)
    };
    let (start, end) = (offset(span.start()), offset(span.end()));
    if end > start {
        start..end
    } else {
        start..(start + 1).min(text.len())
    }
}
