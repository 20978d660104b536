//! Diagnostics as data: every stage reports problems as [`Diagnostic`] values that carry the
//! span of the offending tokens. The derive turns them into spanned `compile_error!`s; the build
//! helper renders them with the file and line.

use std::fmt;

use proc_macro2::Span;

/// How bad a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// Stops the build.
    Error,
    /// Reported, the build goes on.
    Warning,
}

/// One problem, spanned on the tokens that cause it.
#[derive(Debug, Clone)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// Where: the offending tokens.
    pub span: Span,
    /// What is wrong, one sentence.
    pub message: String,
    /// The safe way: what to declare instead, quoting the syntax.
    pub help: Option<String>,
    /// Extra context, such as the lock a naive statement would take.
    pub note: Option<String>,
}

impl Diagnostic {
    /// An error at `span`.
    pub fn error(span: Span, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            span,
            message: message.into(),
            help: None,
            note: None,
        }
    }

    /// A warning at `span`.
    pub fn warning(span: Span, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(span, message)
        }
    }

    /// Adds the help line.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Adds the note line.
    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.note = Some(note.into());
        self
    }

    /// The message with its note and help, as rustc prints them under an error.
    pub fn full_text(&self) -> String {
        let mut text = self.message.clone();
        if let Some(note) = &self.note {
            text.push_str("\n = note: ");
            text.push_str(note);
        }
        if let Some(help) = &self.help {
            text.push_str("\n = help: ");
            text.push_str(help);
        }
        text
    }

    /// Converts into a `syn::Error` so the derive can emit it as a spanned `compile_error!`.
    pub fn to_syn_error(&self) -> syn::Error {
        syn::Error::new(self.span, self.full_text())
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.full_text())
    }
}

impl From<syn::Error> for Diagnostic {
    fn from(error: syn::Error) -> Self {
        Diagnostic::error(error.span(), error.to_string())
    }
}

/// Collects diagnostics across a whole declaration so the user sees every mistake in one build.
///
/// It must be finished with [`Ctxt::finish`]; dropping it unchecked is a bug in this crate and
/// panics in debug builds, so an error can never be forgotten.
#[derive(Default)]
pub struct Ctxt {
    diagnostics: Option<Vec<Diagnostic>>,
}

impl Ctxt {
    /// A new, empty collector.
    pub fn new() -> Self {
        Self {
            diagnostics: Some(Vec::new()),
        }
    }

    /// Records one diagnostic.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics
            .as_mut()
            .expect("Ctxt used after finish")
            .push(diagnostic);
    }

    /// Records an error at `span`.
    pub fn error(&mut self, span: Span, message: impl Into<String>) {
        self.push(Diagnostic::error(span, message));
    }

    /// Records a `syn::Error` (which may hold several messages).
    pub fn syn_error(&mut self, error: syn::Error) {
        for e in error {
            self.push(e.into());
        }
    }

    /// Whether an error has been recorded so far.
    pub fn has_errors(&self) -> bool {
        self.diagnostics
            .as_ref()
            .is_some_and(|d| d.iter().any(|d| d.severity == Severity::Error))
    }

    /// Ends collection and returns everything recorded.
    pub fn finish(mut self) -> Vec<Diagnostic> {
        self.diagnostics.take().unwrap_or_default()
    }
}

impl Drop for Ctxt {
    fn drop(&mut self) {
        if self.diagnostics.is_some() && !std::thread::panicking() {
            debug_assert!(
                false,
                "Ctxt dropped without finish(): diagnostics would be lost"
            );
        }
    }
}
