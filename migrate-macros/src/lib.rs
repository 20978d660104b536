//! `#[derive(Table)]` and `#[derive(PgEnum)]`.
//!
//! These are shims: parsing, checking against the snapshot and every verdict live in
//! `migrate-core`, shared with the build helper. The derive reads the checked-in snapshot at
//! compile time (and makes rustc track it), so an unsafe change fails the build with an error
//! spanned on the offending field.

mod accessors;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use migrate_core::access::Binding;
use migrate_core::declare::{self, NameIndex};
use migrate_core::manifest::{self, Lookup, Manifest, ManifestError};
use migrate_core::model::Schema;
use migrate_core::snapshot::{DEFAULT_FILE_NAME, Snapshot, SnapshotError};
use migrate_core::{Diagnostic, pipeline};
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote};
use syn::ext::IdentExt as _;
use syn::{DeriveInput, parse_macro_input};

/// Environment variable the build helper sets (`cargo:rustc-env`) to the snapshot's path.
const SNAPSHOT_ENV: &str = "MIGRATE_SNAPSHOT";
/// Environment variable the build helper sets to the manifest of what it saw (in `OUT_DIR`).
const MANIFEST_ENV: &str = "MIGRATE_MANIFEST";

/// Declares a table. See the `migrate-runtime` crate docs for the `#[migrate(...)]` attributes.
#[proc_macro_derive(Table, attributes(migrate))]
pub fn derive_table(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand_table(&input).into()
}

/// Declares a PostgreSQL enum type from a Rust enum with unit variants.
#[proc_macro_derive(PgEnum, attributes(migrate))]
pub fn derive_pg_enum(input: proc_macro::TokenStream) -> proc_macro::TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    expand_enum(&input).into()
}

fn snapshot_path() -> PathBuf {
    if let Ok(path) = std::env::var(SNAPSHOT_ENV) {
        return PathBuf::from(path);
    }
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    PathBuf::from(dir).join(DEFAULT_FILE_NAME)
}

/// What the derive checks against: the accepted schema (empty before the first release) and
/// its name index, built once per snapshot version.
struct Accepted {
    schema: Schema,
    names: NameIndex,
    release: migrate_core::snapshot::Release,
}

/// A snapshot as read from one file version: parsed (or refused) once.
type Loaded = Arc<Result<Accepted, SnapshotError>>;

/// The file's identity: a changed size or modification time means it must be read again.
type FileStamp = (PathBuf, Option<SystemTime>, u64);

/// Every derive of a crate reads the same snapshot. Parsing it for each struct made `cargo
/// check` grow with structs × snapshot size, so it is parsed once per compiler process and
/// again only when the file changes (rust-analyzer keeps one proc-macro process alive).
static SNAPSHOT_CACHE: Mutex<Option<(FileStamp, Loaded)>> = Mutex::new(None);

/// Snapshot paths already tracked in this process (see [`tracking_once`]): one rustc process
/// compiles one crate, and one inclusion is enough for rustc to rebuild when the file changes.
static TRACKED: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// The build helper's manifest, read once per compiler process (and again when it changes).
static MANIFEST_CACHE: Mutex<Option<(FileStamp, LoadedManifest)>> = Mutex::new(None);

/// A manifest as read from one file version.
type LoadedManifest = Arc<Result<Manifest, ManifestReadError>>;

/// Why the build helper's manifest could not be used. `Display` is the reason alone; the
/// diagnostic names the file.
#[derive(Debug, thiserror::Error)]
enum ManifestReadError {
    /// The file could not be read.
    #[error(transparent)]
    Read(#[from] std::io::Error),
    /// Its text is not a manifest.
    #[error(transparent)]
    Parse(#[from] ManifestError),
}

/// Source files as the manifest names them (canonical paths), resolved once per file.
static FILE_KEYS: Mutex<Vec<(PathBuf, Option<String>)>> = Mutex::new(Vec::new());

fn load_manifest(path: &Path) -> LoadedManifest {
    let stamp = stamp(path);
    let mut cache = MANIFEST_CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((cached, loaded)) = cache.as_ref()
        && *cached == stamp
    {
        return Arc::clone(loaded);
    }
    let loaded = Arc::new(
        std::fs::read_to_string(path)
            .map_err(ManifestReadError::from)
            .and_then(|text| Ok(Manifest::parse(&text)?)),
    );
    *cache = Some((stamp, Arc::clone(&loaded)));
    loaded
}

fn file_key(span: Span) -> Option<String> {
    let file = span.local_file()?;
    let mut keys = FILE_KEYS.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((_, key)) = keys.iter().find(|(f, _)| *f == file) {
        return key.clone();
    }
    let key = std::fs::canonicalize(&file)
        .ok()
        .map(|p| p.display().to_string());
    keys.push((file, key.clone()));
    key
}

/// When the build helper runs (it names its manifest in `MIGRATE_MANIFEST`), this declaration
/// must be one it saw, exactly so: otherwise the table or type it declares would silently not
/// be planned, or be planned from other fields. Without the helper there is nothing to check.
fn check_seen(input: &DeriveInput, noun: &str) -> Option<Diagnostic> {
    let path = std::env::var_os(MANIFEST_ENV)?;
    let span = input.ident.span();
    let loaded = load_manifest(Path::new(&path));
    let manifest = match loaded.as_ref() {
        Ok(m) => m,
        Err(e) => {
            return Some(
                Diagnostic::error(
                    span,
                    format!(
                        "cannot read the build helper's manifest {}: {e}",
                        Path::new(&path).display()
                    ),
                )
                .help("build again so the build script rewrites it (`cargo clean -p <this crate>` if it persists)"),
            );
        }
    };
    if !manifest.complete {
        // Some source does not parse: rustc reports that, and every declaration would look unseen.
        return None;
    }
    let kind = match input.data {
        syn::Data::Enum(_) => "enum",
        _ => "struct",
    };
    let name = input.ident.unraw().to_string();
    let fingerprint = manifest::fingerprint(input);
    let message = match manifest.lookup(&name, file_key(span).as_deref(), &fingerprint) {
        Lookup::Seen => return None,
        Lookup::Differs => Diagnostic::error(
            span,
            format!(
                "the build helper saw `{kind} {name}` with other fields or attributes than the compiler compiles here, so its {noun} would be planned from a different declaration: a `#[cfg]` or `#[cfg_attr]` in it evaluates otherwise in the build script, which knows only the cfgs cargo gives it (`CARGO_CFG_*`, `CARGO_FEATURE_*`; `doc`, `clippy` and `miri` count as unset)"
            ),
        )
        .help("gate fields and attributes only on cfgs the build script is told about (`feature = \"…\"`, `target_os = \"…\"`, `debug_assertions`, `test`), pass one your build script sets itself to the helper with `Config::cfg`, or declare them without a cfg"),
        Lookup::NotInFile => Diagnostic::error(
            span,
            format!(
                "the build helper read this file but saw no `{kind} {name}` in it, so no {noun} is planned for it: a macro generated it (`macro_rules!`, an attribute macro), and the helper does not expand macros"
            ),
        )
        .help(format!(
            "write the {kind} out as a plain item, with the derive on it, where the macro is invoked"
        )),
        Lookup::FileNotRead => Diagnostic::error(
            span,
            format!(
                "the build helper never read this file, so no {noun} is planned for `{kind} {name}`: no `mod` declaration leads here from the crate root (`src/lib.rs`, `src/main.rs`, `src/bin/`, or the roots given to `Config::source`), `include!` pulled it in, or it belongs to a target the helper does not plan (an example, integration test or bench)"
            ),
        )
        .help(format!(
            "declare the {kind} in the library or a binary, in a module a `mod` declaration reaches (`#[path]` is followed), outside macros"
        )),
    };
    Some(message)
}

/// The release this crate's accessors bind to: as the build helper decided it (its manifest),
/// or, without the helper, the snapshot's accepted release.
fn binding(snapshot: &Result<Loaded, Diagnostic>) -> Binding {
    if let Some(path) = std::env::var_os(MANIFEST_ENV)
        && let Ok(manifest) = load_manifest(Path::new(&path)).as_ref()
        && let Some(binding) = &manifest.binding
    {
        return binding.clone();
    }
    let accepted = match snapshot {
        Ok(loaded) => loaded.as_ref().as_ref().ok().map(|a| &a.release),
        Err(_) => None,
    };
    let fallback = migrate_core::snapshot::Release::numbered(0);
    Binding::decide(accepted.unwrap_or(&fallback), None)
}

fn stamp(path: &Path) -> FileStamp {
    let meta = std::fs::metadata(path).ok();
    (
        path.to_owned(),
        meta.as_ref().and_then(|m| m.modified().ok()),
        meta.map_or(0, |m| m.len()),
    )
}

fn load_cached(path: &Path) -> Loaded {
    let stamp = stamp(path);
    let mut cache = SNAPSHOT_CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((cached, loaded)) = cache.as_ref()
        && *cached == stamp
    {
        return Arc::clone(loaded);
    }
    let loaded: Loaded = Arc::new(Snapshot::load(path).map(|found| {
        let snapshot = found.unwrap_or_default();
        Accepted {
            names: NameIndex::from_schema(&snapshot.schema),
            schema: snapshot.schema,
            release: snapshot.release,
        }
    }));
    *cache = Some((stamp, Arc::clone(&loaded)));
    loaded
}

/// The snapshot plus the tokens that make rustc re-expand when it changes.
fn load_snapshot(span: Span) -> (Result<Loaded, Diagnostic>, TokenStream) {
    let path = snapshot_path();
    let loaded = load_cached(&path);
    let tracking = tracking_once(path);
    match loaded.as_ref() {
        Ok(_) => (Ok(Arc::clone(&loaded)), tracking),
        Err(e) => (
            Err(Diagnostic::error(span, e.to_string())
                .help("fix the file by hand or restore it from version control (`git checkout -- <file>`); nothing is overwritten while it is broken")),
            tracking,
        ),
    }
}

/// What makes rustc rebuild the crate when the snapshot, or the variable naming it, changes:
/// `option_env!` records the variable and `include_bytes!` the file in the crate's dep-info.
/// Both are crate-wide, so only the first expansion that reads `path` emits them; every item
/// more is a body rustc must type-check, and `cargo check` of a crate with hundreds of tables
/// paid for one per struct.
fn tracking_once(path: PathBuf) -> TokenStream {
    let mut tracked = TRACKED.lock().unwrap_or_else(|e| e.into_inner());
    if tracked.contains(&path) {
        return TokenStream::new();
    }
    let env_name = SNAPSHOT_ENV;
    let mut tracking =
        quote! { const _: ::core::option::Option<&str> = ::core::option_env!(#env_name); };
    if path.is_file() {
        let path_text = path.display().to_string();
        tracking.extend(quote! { const _: &[u8] = include_bytes!(#path_text); });
    }
    tracked.push(path);
    tracking
}

fn errors(diagnostics: &[Diagnostic]) -> TokenStream {
    diagnostics
        .iter()
        .map(|d| d.to_syn_error().to_compile_error())
        .collect()
}

fn expand_table(input: &DeriveInput) -> TokenStream {
    let ident = &input.ident;
    let (impl_generics, ty_generics, where_clause) = input.generics.split_for_impl();
    let declared = declare::parse_table(input);
    let (snapshot, tracking) = load_snapshot(ident.span());

    let mut diagnostics: Vec<Diagnostic> = check_seen(input, "table").into_iter().collect();
    let binding = binding(&snapshot);
    let (schema, table, columns, enum_types) = match &declared {
        Ok(decl) => {
            match &snapshot {
                Ok(loaded) => {
                    if let Ok(accepted) = loaded.as_ref() {
                        diagnostics.extend(pipeline::check_table_in(
                            &accepted.schema,
                            &accepted.names,
                            decl,
                        ));
                    }
                }
                Err(d) => diagnostics.push(d.clone()),
            }
            let columns: Vec<String> = decl.fields.iter().map(|f| f.column.clone()).collect();
            // Fields whose Rust type maps to no SQL type by itself must be PgEnum enums;
            // a trait bound checks that, spanned on the field type.
            let enum_types: Vec<TokenStream> = input_fields(input)
                .filter(|_| !input.generics.params.is_empty())
                .filter(|(name, _)| {
                    decl.fields
                        .iter()
                        .any(|f| &f.rust_name == name && f.takes_pg_enum())
                })
                .map(|(_, ty)| enum_bound(ty))
                .collect();
            (
                decl.name.schema.clone(),
                decl.name.name.clone(),
                columns,
                enum_types,
            )
        }
        Err(errs) => {
            diagnostics.extend(errs.iter().cloned());
            // Fallback: still implement the trait so the rest of the crate type-checks and the
            // user sees only the real mistakes.
            (
                "public".to_owned(),
                declare::snake_case(&ident.to_string()),
                Vec::new(),
                Vec::new(),
            )
        }
    };
    let compile_errors = errors(&diagnostics);
    let view = format!(
        "{}.{}",
        migrate_core::sql::quote_ident(&binding.views_schema),
        migrate_core::sql::quote_ident(&table)
    );
    // Accessors only for a declaration that parsed: a broken one has its errors to show.
    let accessors = match &declared {
        Ok(decl) => accessors::expand(input, decl, &binding),
        Err(_) => accessors::Accessors::default(),
    };
    let computed = accessors.computed.map(|jobs| {
        quote! { const COMPUTED: &'static [&'static dyn ::migrate_runtime::access::ComputeJob] = #jobs; }
    });
    let accessors = accessors.items;
    quote! {
        #compile_errors
        // No `const _: () = { … }` around it: every item here is anonymous or an impl, and each
        // extra body costs type-checking time in crates with hundreds of tables.
        #tracking
        #[automatically_derived]
        impl #impl_generics ::migrate_runtime::Table for #ident #ty_generics #where_clause {
            const SCHEMA: &'static str = #schema;
            const TABLE: &'static str = #table;
            const COLUMNS: &'static [&'static str] = &[#(#columns),*];
            const VIEW: &'static str = #view;
            #computed
        }
        #(#enum_types)*
        #accessors
    }
}

fn input_fields(input: &DeriveInput) -> impl Iterator<Item = (String, &syn::Type)> {
    let fields: Vec<&syn::Field> = match &input.data {
        syn::Data::Struct(s) => s.fields.iter().collect(),
        _ => Vec::new(),
    };
    fields.into_iter().filter_map(|f| {
        f.ident
            .as_ref()
            .map(|i| (i.to_string().trim_start_matches("r#").to_owned(), &f.ty))
    })
}

/// `const _: fn() = || need::<Inner>();` spanned on the field type, where `Inner` is the type
/// with `Option<_>` and `Vec<_>` peeled off. Only for a struct without accessors (a generic
/// one): the accessors check the same bound where they bind and read the field.
fn enum_bound(ty: &syn::Type) -> TokenStream {
    let inner = enum_inner(ty);
    let span = syn::spanned::Spanned::span(inner);
    let need = format_ident!("__migrate_need_pg_type", span = span);
    quote::quote_spanned! {span=>
        const _: fn() = || {
            fn #need<T: ::migrate_runtime::PgEnum>() {}
            #need::<#inner>();
        };
    }
}

/// The enum inside a field of shape `T`, `Option<T>`, `Vec<T>` or `Option<Vec<T>>`, and the
/// `EnumColumn` method for that shape; `None` for other shapes (bound as sqlx binds them).
fn enum_shape(ty: &syn::Type) -> Option<(&syn::Type, &'static str)> {
    let (inner, optional) = declare::types::peel_option(ty);
    let (inner, array) = match vec_elem(inner) {
        Some(elem) => (elem, true),
        None => (inner, false),
    };
    if declare::types::peel_option(inner).1 || vec_elem(inner).is_some() {
        return None;
    }
    Some((
        inner,
        match (optional, array) {
            (false, false) => "plain",
            (true, false) => "option",
            (false, true) => "vec",
            (true, true) => "option_vec",
        },
    ))
}

/// The type with `Option<_>` and `Vec<_>` peeled off.
fn enum_inner(ty: &syn::Type) -> &syn::Type {
    let mut inner = ty;
    loop {
        let (peeled, optional) = declare::types::peel_option(inner);
        inner = peeled;
        match vec_elem(inner) {
            Some(elem) => inner = elem,
            None if optional => continue,
            None => break,
        }
    }
    inner
}

fn vec_elem(ty: &syn::Type) -> Option<&syn::Type> {
    let syn::Type::Path(p) = ty else { return None };
    let seg = p.path.segments.last()?;
    if seg.ident != "Vec" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &seg.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(t) => Some(t),
        _ => None,
    }
}

fn expand_enum(input: &DeriveInput) -> TokenStream {
    let ident = &input.ident;
    let declared = declare::parse_enum(input);
    let (snapshot, tracking) = load_snapshot(ident.span());
    let mut diagnostics: Vec<Diagnostic> = check_seen(input, "type").into_iter().collect();
    let variants: Vec<&syn::Ident> = match &input.data {
        syn::Data::Enum(e) => e
            .variants
            .iter()
            .filter(|v| matches!(v.fields, syn::Fields::Unit))
            .map(|v| &v.ident)
            .collect(),
        _ => Vec::new(),
    };
    let (schema, type_name, labels) = match &declared {
        Ok(decl) => {
            match &snapshot {
                Ok(loaded) => {
                    if let Ok(accepted) = loaded.as_ref() {
                        diagnostics.extend(pipeline::check_enum(&accepted.schema, decl));
                    }
                }
                Err(d) => diagnostics.push(d.clone()),
            }
            let labels: Vec<String> = decl.values.iter().map(|v| v.value.clone()).collect();
            (decl.name.schema.clone(), decl.name.name.clone(), labels)
        }
        Err(errs) => {
            diagnostics.extend(errs.iter().cloned());
            (
                "public".to_owned(),
                declare::snake_case(&ident.to_string()),
                Vec::new(),
            )
        }
    };
    let compile_errors = errors(&diagnostics);
    let body = if labels.len() == variants.len() && !labels.is_empty() {
        quote! {
            fn label(&self) -> &'static str {
                match self { #(Self::#variants => #labels,)* }
            }
            fn from_label(label: &str) -> ::core::option::Option<Self> {
                match label { #(#labels => ::core::option::Option::Some(Self::#variants),)* _ => ::core::option::Option::None }
            }
        }
    } else {
        quote! {
            fn label(&self) -> &'static str { "" }
            fn from_label(_: &str) -> ::core::option::Option<Self> { ::core::option::Option::None }
        }
    };
    let sql_name = format!(
        "{}.{}",
        migrate_core::sql::quote_ident(&schema),
        migrate_core::sql::quote_ident(&type_name)
    );
    let rt = quote!(::migrate_runtime);
    let pg = quote!(#rt::sqlx::postgres);
    quote! {
        #compile_errors
        #tracking
        #[automatically_derived]
        impl #rt::PgEnum for #ident {
            const SCHEMA: &'static str = #schema;
            const TYPE_NAME: &'static str = #type_name;
            const SQL_NAME: &'static str = #sql_name;
            const LABELS: &'static [&'static str] = &[#(#labels),*];
            #body
        }
        #[automatically_derived]
        impl #rt::sqlx::Type<#rt::sqlx::Postgres> for #ident {
            fn type_info() -> #pg::PgTypeInfo {
                #pg::PgTypeInfo::with_name(#sql_name)
            }
            fn compatible(ty: &#pg::PgTypeInfo) -> bool {
                #rt::access::enum_compatible::<Self>(ty)
            }
        }
        #[automatically_derived]
        impl #pg::PgHasArrayType for #ident {
            fn array_type_info() -> #pg::PgTypeInfo {
                #pg::PgTypeInfo::array_of(#sql_name)
            }
            fn array_compatible(ty: &#pg::PgTypeInfo) -> bool {
                #rt::access::enum_array_compatible::<Self>(ty)
            }
        }
        #[automatically_derived]
        impl<'q> #rt::sqlx::Encode<'q, #rt::sqlx::Postgres> for #ident {
            fn encode_by_ref(&self, buf: &mut #pg::PgArgumentBuffer) -> ::core::result::Result<#rt::sqlx::encode::IsNull, #rt::sqlx::error::BoxDynError> {
                #rt::access::encode_enum(self, buf)
            }
        }
        #[automatically_derived]
        impl<'r> #rt::sqlx::Decode<'r, #rt::sqlx::Postgres> for #ident {
            fn decode(value: #pg::PgValueRef<'r>) -> ::core::result::Result<Self, #rt::sqlx::error::BoxDynError> {
                #rt::access::decode_enum(value)
            }
        }
    }
}
