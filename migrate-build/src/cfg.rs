//! `#[cfg(...)]` predicates, evaluated the way the compiler evaluates them for the crate the
//! build script belongs to: from the `CARGO_CFG_*` and `CARGO_FEATURE_*` variables cargo gives
//! build scripts.
//!
//! Cargo runs the build script once for the library and binaries, so those variables describe
//! them, not their unit tests: `test` is false in the planned view. The helper also evaluates
//! every predicate with `test` true, only to recognise the structs `cargo test` compiles (they
//! are not planned). `doc`, `doctest`, `clippy`, `miri` and `rust_analyzer`, which tools set for
//! their own compilations only, are false: a struct under them is not part of the deployed
//! binary. Any other name cargo does not pass is unset, as for rustc.

use std::collections::{BTreeMap, BTreeSet};

use syn::Token;
use syn::punctuated::Punctuated;

/// The cfg set one compilation sees, for evaluating `#[cfg]` and `#[cfg_attr]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cfg {
    names: BTreeSet<String>,
    values: BTreeMap<String, BTreeSet<String>>,
    /// Enabled features, normalised as cargo spells them in `CARGO_FEATURE_*` (upper case,
    /// `-` as `_`).
    features: BTreeSet<String>,
    test: bool,
}

/// Names cargo passes as `CARGO_CFG_NAME=value,...` (key-value cfgs), so an empty value means
/// "no value", not a name-only cfg.
const KEY_VALUE: &[&str] = &[
    "feature",
    "panic",
    "relocation_model",
    "sanitize",
    "target_abi",
    "target_arch",
    "target_endian",
    "target_env",
    "target_family",
    "target_feature",
    "target_has_atomic",
    "target_has_atomic_equal_alignment",
    "target_has_atomic_load_store",
    "target_os",
    "target_pointer_width",
    "target_vendor",
];

/// A predicate the compiler would reject (it reports it; the helper plans nothing).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Malformed {
    /// Not the syntax of a predicate (syn's message).
    #[error("{0}")]
    Syntax(String),
    /// A predicate only a nightly compiler accepts.
    #[error("`cfg({name})` is unstable, and rustc refuses it on a stable toolchain")]
    Unstable {
        /// The cfg name.
        name: String,
    },
    /// A `cfg_attr` without attributes.
    #[error("`cfg_attr` takes a predicate and attributes")]
    CfgAttrArity,
}

impl From<syn::Error> for Malformed {
    fn from(error: syn::Error) -> Self {
        Malformed::Syntax(error.to_string())
    }
}

impl Cfg {
    /// No cfg set at all (not even `debug_assertions` or the target's).
    pub fn new() -> Self {
        Cfg::default()
    }

    /// The cfg set cargo describes to the running build script.
    pub fn from_env() -> Self {
        Cfg::from_vars(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    /// The cfg set described by `CARGO_CFG_*` and `CARGO_FEATURE_*` variables.
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Self {
        let mut cfg = Cfg::new();
        for (key, value) in vars {
            if let Some(feature) = key.strip_prefix("CARGO_FEATURE_") {
                cfg.features.insert(feature.to_owned());
            } else if let Some(name) = key.strip_prefix("CARGO_CFG_") {
                let name = name.to_ascii_lowercase();
                if name == "feature" {
                    for f in value.split(',').filter(|f| !f.is_empty()) {
                        cfg.features.insert(normalise_feature(f));
                    }
                } else if value.is_empty() && !KEY_VALUE.contains(&name.as_str()) {
                    cfg.names.insert(name);
                } else {
                    let values = cfg.values.entry(name).or_default();
                    values.extend(
                        value
                            .split(',')
                            .filter(|v| !v.is_empty())
                            .map(str::to_owned),
                    );
                }
            }
        }
        cfg
    }

    /// Sets a name-only cfg (`unix`, `debug_assertions`, a `--cfg` of your own).
    pub fn name(&mut self, name: &str) -> &mut Self {
        self.names.insert(name.to_owned());
        self
    }

    /// Adds a value to a key-value cfg (`target_os = "linux"`).
    pub fn value(&mut self, name: &str, value: &str) -> &mut Self {
        self.values
            .entry(name.to_owned())
            .or_default()
            .insert(value.to_owned());
        self
    }

    /// Enables a feature of the crate.
    pub fn feature(&mut self, feature: &str) -> &mut Self {
        self.features.insert(normalise_feature(feature));
        self
    }

    /// The same set, with `test` set as given.
    pub(crate) fn with_test(&self, test: bool) -> Cfg {
        Cfg {
            test,
            ..self.clone()
        }
    }

    /// Evaluates the predicate inside `#[cfg(...)]` (its tokens).
    pub fn eval(&self, predicate: proc_macro2::TokenStream) -> Result<bool, Malformed> {
        let pred = syn::parse::Parser::parse2(Pred::parse, predicate)?;
        if let Some(name) = pred.unstable() {
            return Err(Malformed::Unstable {
                name: name.to_string(),
            });
        }
        Ok(self.holds(&pred))
    }

    /// Evaluates `#[cfg_attr(predicate, attr, ...)]` (its tokens): the attributes it stands for,
    /// `None` when the predicate is false. An attribute that is not a syn `Meta` (none this
    /// tool reads is) is left out.
    pub(crate) fn cfg_attr(
        &self,
        tokens: proc_macro2::TokenStream,
    ) -> Result<Option<Vec<syn::Meta>>, Malformed> {
        let mut chunks: Vec<proc_macro2::TokenStream> = vec![proc_macro2::TokenStream::new()];
        for tt in tokens {
            match &tt {
                proc_macro2::TokenTree::Punct(p) if p.as_char() == ',' => {
                    chunks.push(proc_macro2::TokenStream::new());
                }
                _ => chunks.last_mut().expect("one chunk").extend([tt]),
            }
        }
        let mut chunks = chunks.into_iter();
        let predicate = chunks.next().unwrap_or_default();
        if chunks.len() == 0 {
            return Err(Malformed::CfgAttrArity);
        }
        if !self.eval(predicate)? {
            return Ok(None);
        }
        Ok(Some(
            chunks
                .filter(|c| !c.is_empty())
                .filter_map(|c| syn::parse2::<syn::Meta>(c).ok())
                .collect(),
        ))
    }

    fn holds(&self, pred: &Pred) -> bool {
        match pred {
            Pred::Name(name) => match name.as_str() {
                "true" => true,
                "false" => false,
                "test" => self.test,
                "doc" | "doctest" | "clippy" | "miri" | "rust_analyzer" => false,
                _ => self.names.contains(name),
            },
            Pred::Value(name, value) if name == "feature" => {
                self.features.contains(&normalise_feature(value))
            }
            Pred::Value(name, value) => self.values.get(name).is_some_and(|v| v.contains(value)),
            Pred::All(all) => all.iter().all(|p| self.holds(p)),
            Pred::Any(any) => any.iter().any(|p| self.holds(p)),
            Pred::Not(p) => !self.holds(p),
        }
    }
}

/// A parsed cfg predicate.
enum Pred {
    Name(String),
    Value(String, String),
    All(Vec<Pred>),
    Any(Vec<Pred>),
    Not(Box<Pred>),
}

/// cfg names rustc gates behind a nightly feature: on the stable toolchain it refuses them
/// (E0658), so a file that uses one does not compile and nothing in it is planned.
const UNSTABLE_NAMES: &[&str] = &[
    "overflow_checks",
    "ub_checks",
    "contract_checks",
    "sanitize",
    "sanitizer_cfi_generalize_pointers",
    "sanitizer_cfi_normalize_integers",
    "target_thread_local",
    "target_has_atomic_load_store",
    "target_has_atomic_equal_alignment",
    "relocation_model",
    "fmt_debug",
    "emscripten_wasm_eh",
    "target_has_reliable_f16",
    "target_has_reliable_f16_math",
    "target_has_reliable_f128",
    "target_has_reliable_f128_math",
];

impl Pred {
    /// The first nightly-only cfg name in the predicate.
    fn unstable(&self) -> Option<&str> {
        match self {
            Pred::Name(name) | Pred::Value(name, _) => UNSTABLE_NAMES
                .contains(&name.as_str())
                .then_some(name.as_str()),
            Pred::All(list) | Pred::Any(list) => list.iter().find_map(Pred::unstable),
            Pred::Not(p) => p.unstable(),
        }
    }

    fn parse(input: syn::parse::ParseStream) -> syn::Result<Pred> {
        // `true` and `false` are keywords, and valid cfg predicates.
        let name: syn::Ident = input.call(syn::ext::IdentExt::parse_any)?;
        if input.peek(Token![=]) {
            input.parse::<Token![=]>()?;
            let value: syn::LitStr = input.parse()?;
            return Ok(Pred::Value(name.to_string(), value.value()));
        }
        if !input.peek(syn::token::Paren) {
            if input.peek(Token![::]) {
                return Err(input.error("a cfg name is a single identifier"));
            }
            return Ok(Pred::Name(name.to_string()));
        }
        let content;
        syn::parenthesized!(content in input);
        let mut args: Vec<Pred> =
            Punctuated::<Pred, Token![,]>::parse_terminated_with(&content, Pred::parse)?
                .into_iter()
                .collect();
        match name.to_string().as_str() {
            "all" => Ok(Pred::All(args)),
            "any" => Ok(Pred::Any(args)),
            "not" if args.len() == 1 => Ok(Pred::Not(Box::new(args.remove(0)))),
            "not" => Err(syn::Error::new(name.span(), "`not(…)` takes one predicate")),
            other => Err(syn::Error::new(
                name.span(),
                format!("unknown cfg operator `{other}`"),
            )),
        }
    }
}

fn normalise_feature(feature: &str) -> String {
    feature.to_ascii_uppercase().replace('-', "_")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(cfg: &Cfg, pred: &str) -> Result<bool, Malformed> {
        cfg.eval(pred.parse().unwrap())
    }

    fn cargo_env() -> Cfg {
        Cfg::from_vars(
            [
                ("CARGO_CFG_DEBUG_ASSERTIONS", ""),
                ("CARGO_CFG_UNIX", ""),
                ("CARGO_CFG_TARGET_ABI", ""),
                ("CARGO_CFG_TARGET_OS", "linux"),
                ("CARGO_CFG_TARGET_FEATURE", "fxsr,sse,sse2"),
                ("CARGO_CFG_FEATURE", ""),
                ("CARGO_FEATURE_POSTGRES_15", "1"),
                ("CARGO_CFG_MY_FLAG", ""),
                ("PATH", "/usr/bin"),
            ]
            .map(|(k, v)| (k.to_owned(), v.to_owned())),
        )
    }

    #[test]
    fn cargo_variables_give_the_build_scripts_cfg() {
        let cfg = cargo_env();
        for (pred, expected) in [
            ("debug_assertions", true),
            ("unix", true),
            ("windows", false),
            ("my_flag", true),
            ("target_abi", false),
            ("target_os = \"linux\"", true),
            ("target_os = \"macos\"", false),
            ("target_feature = \"sse2\"", true),
            ("feature = \"postgres-15\"", true),
            ("feature = \"postgres_15\"", true),
            ("feature = \"mysql\"", false),
            ("test", false),
            ("doc", false),
            ("any()", false),
            ("true", true),
            ("not(false)", true),
            ("all()", true),
            ("not(test)", true),
            (
                "all(unix, not(any(windows, test)), target_os = \"linux\")",
                true,
            ),
        ] {
            assert_eq!(eval(&cfg, pred), Ok(expected), "{pred}");
        }
        assert_eq!(eval(&cfg.with_test(true), "test"), Ok(true));
    }

    #[test]
    fn unstable_cfg_names_are_reported_as_rustc_refuses_them() {
        let cfg = Cfg::new();
        let err = eval(&cfg, "overflow_checks").unwrap_err();
        assert!(matches!(err, Malformed::Unstable { .. }), "{err:?}");
        assert!(err.to_string().contains("unstable"), "{err}");
        assert!(eval(&cfg, "any(unix, not(ub_checks))").is_err());
        assert_eq!(eval(&cfg, "debug_assertions"), Ok(false));
    }

    #[test]
    fn malformed_predicates_are_reported() {
        let cfg = cargo_env();
        for pred in ["not(a, b)", "foo(bar)", "a::b", "feature = 1"] {
            assert!(eval(&cfg, pred).is_err(), "{pred}");
        }
    }
}
