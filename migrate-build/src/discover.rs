//! Finds the declarations the compiler compiles: every struct with `#[derive(Table)]` and every
//! enum with `#[derive(PgEnum)]` in the module tree of the crate roots, parsed with syn and
//! handed to the shared parser in `migrate-core` (the same one the derive uses).
//!
//! The tree is followed as rustc follows it: `mod x;` loads `x.rs` or `x/mod.rs` (beside the
//! crate root or a `mod.rs`, or in the folder named after a non-`mod.rs` module),
//! `#[path = "…"]` loads the file it names (relative to the folder of the file that declares it,
//! or of the inline module), inline `mod x { … }` and modules in function bodies are entered.
//! `#[cfg]` and `#[cfg_attr]` on items, fields and variants are evaluated with [`Cfg`], and each
//! declaration is configured as the compiler hands it to the derive. A file no `mod` reaches is
//! not read. Macro output (`macro_rules!`, `include!`, attribute macros) is not expanded: the
//! manifest written for the derive makes a declaration the helper missed a compile error.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use migrate_core::Diagnostic;
use migrate_core::declare::{self, DeclaredEnum, DeclaredTable};
use migrate_core::manifest::{self, Manifest};
use proc_macro2::Span;
use syn::ext::IdentExt as _;
use syn::punctuated::Punctuated;
use syn::{Attribute, DeriveInput, Expr, Item, Stmt, Token};

use crate::cfg::{Cfg, Malformed};
use crate::{ConfigError, Error};

/// One source file that was read.
#[derive(Debug)]
pub struct SourceFile {
    /// Its path.
    pub path: PathBuf,
    /// Its text.
    pub text: String,
    /// A span inside this file (to tell which file a diagnostic's span belongs to).
    pub anchor: Option<Span>,
}

/// Everything declared in the module tree.
#[derive(Debug, Default)]
pub struct Declarations {
    /// Files read, sorted by path.
    pub files: Vec<SourceFile>,
    /// Table structs.
    pub tables: Vec<DeclaredTable>,
    /// Enums.
    pub enums: Vec<DeclaredEnum>,
    /// Attribute errors (the derive reports them too, spanned; counted here so no plan is made).
    pub attribute_errors: Vec<Diagnostic>,
    /// Files that do not parse as Rust, or hold a `cfg` predicate rustc rejects: rustc reports
    /// them, and no plan is made.
    pub unparsable: Vec<PathBuf>,
    /// What the derive checks itself against (see [`migrate_core::manifest`]).
    pub manifest: Manifest,
}

/// The crate roots among `sources`: a file is a crate root; a folder holds them (`lib.rs`,
/// `main.rs`, `bin/*.rs`, `bin/*/main.rs`), as `src/` does for cargo. Sorted, deduplicated.
pub fn crate_roots(sources: &[PathBuf]) -> Result<Vec<PathBuf>, Error> {
    let mut out = Vec::new();
    for source in sources {
        let meta = std::fs::metadata(source).map_err(|e| Error::Io {
            path: source.clone(),
            source: e,
        })?;
        if meta.is_file() {
            out.push(source.clone());
            continue;
        }
        let before = out.len();
        for name in ["lib.rs", "main.rs"] {
            let root = source.join(name);
            if root.is_file() {
                out.push(root);
            }
        }
        if let Ok(entries) = std::fs::read_dir(source.join("bin")) {
            for path in entries.filter_map(|e| e.ok().map(|e| e.path())) {
                if path.is_file() && path.extension().is_some_and(|e| e == "rs") {
                    out.push(path);
                } else if path.join("main.rs").is_file() {
                    out.push(path.join("main.rs"));
                }
            }
        }
        if out.len() == before {
            return Err(Error::Config(ConfigError::NoCrateRoot {
                folder: source.clone(),
            }));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// Follows the module tree from each crate root and collects the declarations.
pub fn discover(roots: &[PathBuf], cfg: &Cfg) -> Result<Declarations, Error> {
    let mut walker = Walker::new(cfg, true);
    for root in roots {
        let ctx = ModCtx {
            dir: root.parent().map(Path::to_path_buf).unwrap_or_default(),
            relative: None,
            in_block: false,
        };
        walker.file(root, Views::BOTH, &ctx, true)?;
    }
    let mut found = walker.found;
    found.files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(found)
}

/// Collects the declarations of one parsed file (consumed), as a crate root whose `mod x;`
/// declarations are not loaded, with no cfg set. Returns a span inside the file, if it declares
/// anything.
pub fn declarations_in(file: syn::File, found: &mut Declarations) -> Option<Span> {
    let cfg = Cfg::new();
    let mut walker = Walker::new(&cfg, false);
    walker.found = std::mem::take(found);
    let ctx = ModCtx {
        dir: PathBuf::new(),
        relative: None,
        in_block: false,
    };
    walker.items(file.items, Views::BOTH, &ctx);
    *found = walker.found;
    walker.anchor
}

/// Which compilations an item is part of: the planned one (the library and binaries, `test`
/// false) and the unit tests' (`test` true), which is only recognised, never planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Views(u8);

impl Views {
    const NONE: Views = Views(0);
    const PLANNED: Views = Views(1);
    const TEST: Views = Views(2);
    const BOTH: Views = Views(3);

    fn has(self, other: Views) -> bool {
        self.0 & other.0 == other.0 && other.0 != 0
    }

    fn each(self) -> impl Iterator<Item = Views> {
        [Views::PLANNED, Views::TEST]
            .into_iter()
            .filter(move |v| self.has(*v))
    }

    fn or(self, other: Views) -> Views {
        Views(self.0 | other.0)
    }

    fn without(self, other: Views) -> Views {
        Views(self.0 & !other.0)
    }
}

/// Where `mod x;` looks, as rustc tracks it: the folder, the name of the non-`mod.rs` module
/// whose folder comes first (`x/y.rs` puts `mod z;` in `x/y/z.rs`), and whether we are in a
/// block (where `mod x;` needs `#[path]`).
#[derive(Debug, Clone)]
struct ModCtx {
    dir: PathBuf,
    relative: Option<String>,
    in_block: bool,
}

impl ModCtx {
    /// The folder of the module itself (a non-`mod.rs` module's own folder).
    fn own_dir(&self) -> PathBuf {
        match &self.relative {
            Some(name) => self.dir.join(name),
            None => self.dir.clone(),
        }
    }
}

struct Walker {
    planned: Cfg,
    test: Cfg,
    load_files: bool,
    found: Declarations,
    /// Files read, with the views they were read for.
    visited: BTreeMap<PathBuf, Views>,
    /// The file being walked, and its name in the manifest.
    current: PathBuf,
    current_key: String,
    anchor: Option<Span>,
}

impl Walker {
    fn new(cfg: &Cfg, load_files: bool) -> Self {
        Walker {
            planned: cfg.with_test(false),
            test: cfg.with_test(true),
            load_files,
            found: Declarations {
                manifest: Manifest::new(),
                ..Declarations::default()
            },
            visited: BTreeMap::new(),
            current: PathBuf::new(),
            current_key: String::new(),
            anchor: None,
        }
    }

    fn cfg(&self, view: Views) -> &Cfg {
        if view == Views::TEST {
            &self.test
        } else {
            &self.planned
        }
    }

    /// Reads and walks one file of the tree (a crate root when `root`).
    fn file(&mut self, path: &Path, views: Views, ctx: &ModCtx, root: bool) -> Result<(), Error> {
        let seen = self.visited.get(path).copied().unwrap_or(Views::NONE);
        let views = views.without(seen);
        if views == Views::NONE {
            return Ok(());
        }
        self.visited.insert(path.to_owned(), seen.or(views));
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            // rustc reports a module file that does not exist; a crate root must.
            Err(e) if !root && e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(source) => {
                return Err(Error::Io {
                    path: path.to_owned(),
                    source,
                });
            }
        };
        // rustc reads CRLF as LF, also inside string literals the fingerprint covers.
        let text = if text.contains("\r\n") {
            text.replace("\r\n", "\n")
        } else {
            text
        };
        let key = manifest_key(path);
        self.found.manifest.files.insert(key.clone());
        let saved = (
            std::mem::replace(&mut self.current, path.to_owned()),
            std::mem::replace(&mut self.current_key, key),
            self.anchor.take(),
        );
        match syn::parse_file(&text) {
            Ok(file) => self.items(file.items, views, ctx),
            Err(_) => self.unparsable(),
        }
        let anchor = std::mem::replace(&mut self.anchor, saved.2);
        self.current = saved.0;
        self.current_key = saved.1;
        if !self.found.files.iter().any(|f| f.path == path) {
            self.found.files.push(SourceFile {
                path: path.to_owned(),
                text,
                anchor,
            });
        }
        Ok(())
    }

    fn unparsable(&mut self) {
        self.found.manifest.complete = false;
        if !self.found.unparsable.contains(&self.current) {
            self.found.unparsable.push(self.current.clone());
        }
    }

    /// The views in which `attrs` keep their item, each with the attributes as configured
    /// there (`cfg_attr` expanded); views that configure alike share one entry.
    fn configure(&mut self, attrs: &[Attribute], views: Views) -> Vec<(Views, Vec<Attribute>)> {
        let mut groups: Vec<(Views, Vec<Attribute>)> = Vec::new();
        for view in views.each() {
            match configure_attrs(attrs, self.cfg(view)) {
                Ok(Some(configured)) => match groups.iter_mut().find(|(_, a)| *a == configured) {
                    Some(group) => group.0 = group.0.or(view),
                    None => groups.push((view, configured)),
                },
                Ok(None) => {}
                Err(_) => {
                    self.unparsable();
                    return Vec::new();
                }
            }
        }
        groups
    }

    /// The views in which `attrs` keep their item.
    fn active(&mut self, attrs: &[Attribute], views: Views) -> Views {
        if !attrs.iter().any(is_cfg) {
            return views;
        }
        self.configure(attrs, views)
            .into_iter()
            .fold(Views::NONE, |all, (v, _)| all.or(v))
    }

    fn items(&mut self, items: Vec<Item>, views: Views, ctx: &ModCtx) {
        for item in items {
            self.item(item, views, ctx);
        }
    }

    fn item(&mut self, mut item: Item, views: Views, ctx: &ModCtx) {
        let attrs = match &mut item {
            Item::Struct(i) => &mut i.attrs,
            Item::Enum(i) => &mut i.attrs,
            Item::Mod(i) => &mut i.attrs,
            Item::Fn(i) => &mut i.attrs,
            Item::Impl(i) => &mut i.attrs,
            Item::Trait(i) => &mut i.attrs,
            Item::Const(i) => &mut i.attrs,
            Item::Static(i) => &mut i.attrs,
            // Nothing else can hold a declaration the helper could read.
            _ => return,
        };
        if !attrs.iter().any(is_cfg) {
            return self.configured_item(item, views, ctx);
        }
        let original = std::mem::take(attrs);
        let mut groups = self.configure(&original, views);
        let last = groups.pop();
        for (views, attrs) in groups {
            let mut copy = item.clone();
            set_attrs(&mut copy, attrs);
            self.configured_item(copy, views, ctx);
        }
        if let Some((views, attrs)) = last {
            set_attrs(&mut item, attrs);
            self.configured_item(item, views, ctx);
        }
    }

    /// An item whose own attributes are configured for `views`.
    fn configured_item(&mut self, item: Item, views: Views, ctx: &ModCtx) {
        match item {
            Item::Struct(s) if derives(&s.attrs, "Table") => {
                self.declaration(s.into(), views, Kind::Table);
            }
            Item::Enum(e) if derives(&e.attrs, "PgEnum") => {
                self.declaration(e.into(), views, Kind::Enum);
            }
            Item::Mod(m) => self.module(m, views, ctx),
            Item::Fn(f) => self.block(f.block.stmts, views, ctx),
            Item::Impl(i) => {
                for item in i.items {
                    match item {
                        syn::ImplItem::Fn(f) => {
                            let views = self.active(&f.attrs, views);
                            self.block(f.block.stmts, views, ctx);
                        }
                        syn::ImplItem::Const(c) => {
                            let views = self.active(&c.attrs, views);
                            self.expr(c.expr, views, ctx);
                        }
                        _ => {}
                    }
                }
            }
            Item::Trait(t) => {
                for item in t.items {
                    if let syn::TraitItem::Fn(f) = item
                        && let Some(block) = f.default
                    {
                        let views = self.active(&f.attrs, views);
                        self.block(block.stmts, views, ctx);
                    }
                }
            }
            Item::Const(c) => self.expr(*c.expr, views, ctx),
            Item::Static(s) => self.expr(*s.expr, views, ctx),
            _ => {}
        }
    }

    fn module(&mut self, m: syn::ItemMod, views: Views, ctx: &ModCtx) {
        let path_attr = m.attrs.iter().find_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) if nv.path.is_ident("path") => match &nv.value {
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        });
        let name = m.ident.unraw().to_string();
        match m.content {
            Some((_, items)) => {
                // On an inline module, `#[path]` names its folder.
                let dir = match &path_attr {
                    Some(p) => ctx.dir.join(p),
                    None => ctx.own_dir().join(&name),
                };
                let inner = ModCtx {
                    dir,
                    relative: None,
                    in_block: ctx.in_block,
                };
                self.items(items, views, &inner);
            }
            None if !self.load_files => {}
            None => {
                let (file, inner) = match path_attr {
                    // A `#[path]` file is read as if it were a `mod.rs`.
                    Some(p) => {
                        let file = ctx.dir.join(p);
                        let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
                        (
                            file,
                            ModCtx {
                                dir,
                                relative: None,
                                in_block: false,
                            },
                        )
                    }
                    // rustc refuses `mod x;` in a block without `#[path]`.
                    None if ctx.in_block => return,
                    None => {
                        let base = ctx.own_dir();
                        let flat = base.join(format!("{name}.rs"));
                        let nested = base.join(&name).join("mod.rs");
                        match (flat.is_file(), nested.is_file()) {
                            (true, false) => (
                                flat,
                                ModCtx {
                                    dir: base,
                                    relative: Some(name),
                                    in_block: false,
                                },
                            ),
                            (false, true) => (
                                nested,
                                ModCtx {
                                    dir: base.join(&name),
                                    relative: None,
                                    in_block: false,
                                },
                            ),
                            // Neither, or both: rustc reports it.
                            _ => return,
                        }
                    }
                };
                if self.file(&file, views, &inner, false).is_err() {
                    // An unreadable module file: rustc reports it; plan nothing meanwhile.
                    self.found.manifest.complete = false;
                    self.found.unparsable.push(file);
                }
            }
        }
    }

    fn block(&mut self, stmts: Vec<Stmt>, views: Views, ctx: &ModCtx) {
        if views == Views::NONE {
            return;
        }
        let inner = ModCtx {
            in_block: true,
            ..ctx.clone()
        };
        for stmt in stmts {
            match stmt {
                Stmt::Item(item) => self.item(item, views, &inner),
                Stmt::Local(local) => {
                    let views = self.active(&local.attrs, views);
                    if let Some(init) = local.init {
                        self.expr(*init.expr, views, &inner);
                    }
                }
                Stmt::Expr(expr, _) => self.expr(expr, views, &inner),
                Stmt::Macro(_) => {}
            }
        }
    }

    /// Blocks inside an expression (a function body's `{ … }`, `const { … }`, closures,
    /// branches and loops) can declare items too.
    fn expr(&mut self, expr: Expr, views: Views, ctx: &ModCtx) {
        if views == Views::NONE {
            return;
        }
        match expr {
            Expr::Block(b) => {
                let views = self.active(&b.attrs, views);
                self.block(b.block.stmts, views, ctx);
            }
            Expr::Unsafe(b) => {
                let views = self.active(&b.attrs, views);
                self.block(b.block.stmts, views, ctx);
            }
            Expr::Const(b) => {
                let views = self.active(&b.attrs, views);
                self.block(b.block.stmts, views, ctx);
            }
            Expr::Async(b) => self.block(b.block.stmts, views, ctx),
            Expr::TryBlock(b) => self.block(b.block.stmts, views, ctx),
            Expr::Loop(l) => self.block(l.body.stmts, views, ctx),
            Expr::While(l) => self.block(l.body.stmts, views, ctx),
            Expr::ForLoop(l) => self.block(l.body.stmts, views, ctx),
            Expr::Closure(c) => self.expr(*c.body, views, ctx),
            Expr::If(i) => {
                self.block(i.then_branch.stmts, views, ctx);
                if let Some((_, other)) = i.else_branch {
                    self.expr(*other, views, ctx);
                }
            }
            Expr::Match(m) => {
                for arm in m.arms {
                    let views = self.active(&arm.attrs, views);
                    self.expr(*arm.body, views, ctx);
                }
            }
            _ => {}
        }
    }

    /// A struct or enum with the derive, its own attributes configured for `views`: configure
    /// its fields or variants, record it in the manifest for each view, and declare it for
    /// the planned one.
    fn declaration(&mut self, mut input: DeriveInput, views: Views, kind: Kind) {
        self.anchor.get_or_insert(input.ident.span());
        let name = input.ident.unraw().to_string();
        if views.has(Views::BOTH) && has_inner_cfg(&input) {
            let mut copy = input.clone();
            if configure_data(&mut copy, &self.test).is_err() {
                return self.unparsable();
            }
            let fp = manifest::fingerprint(&copy);
            let file = self.current_key.clone();
            self.found.manifest.insert(name.clone(), file, fp);
        }
        let first = if views.has(Views::PLANNED) {
            Views::PLANNED
        } else {
            Views::TEST
        };
        if has_inner_cfg(&input) && configure_data(&mut input, self.cfg(first)).is_err() {
            return self.unparsable();
        }
        let fp = manifest::fingerprint(&input);
        let file = self.current_key.clone();
        self.found.manifest.insert(name, file, fp);
        if !views.has(Views::PLANNED) {
            return;
        }
        match kind {
            Kind::Table => match declare::parse_table(&input) {
                Ok(t) => self.found.tables.push(t),
                Err(e) => self.found.attribute_errors.extend(e),
            },
            Kind::Enum => match declare::parse_enum(&input) {
                Ok(d) => self.found.enums.push(d),
                Err(e) => self.found.attribute_errors.extend(e),
            },
        }
    }
}

#[derive(Clone, Copy)]
enum Kind {
    Table,
    Enum,
}

/// The name a file has in the manifest: its canonical path, as the derive finds it again.
fn manifest_key(path: &Path) -> String {
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| path.to_owned())
        .display()
        .to_string()
}

fn is_cfg(attr: &Attribute) -> bool {
    attr.path().is_ident("cfg") || attr.path().is_ident("cfg_attr")
}

fn set_attrs(item: &mut Item, attrs: Vec<Attribute>) {
    match item {
        Item::Struct(i) => i.attrs = attrs,
        Item::Enum(i) => i.attrs = attrs,
        Item::Mod(i) => i.attrs = attrs,
        Item::Fn(i) => i.attrs = attrs,
        Item::Impl(i) => i.attrs = attrs,
        Item::Trait(i) => i.attrs = attrs,
        Item::Const(i) => i.attrs = attrs,
        Item::Static(i) => i.attrs = attrs,
        _ => {}
    }
}

/// `attrs` as the compiler configures them: `cfg_attr` expanded (nested ones too), `None` when
/// a `cfg` among them is false.
fn configure_attrs(attrs: &[Attribute], cfg: &Cfg) -> Result<Option<Vec<Attribute>>, Malformed> {
    let mut out = Vec::with_capacity(attrs.len());
    for attr in attrs {
        expand(attr.clone(), cfg, &mut out)?;
    }
    for attr in out.iter().filter(|a| a.path().is_ident("cfg")) {
        let list = attr.meta.require_list()?;
        if !cfg.eval(list.tokens.clone())? {
            return Ok(None);
        }
    }
    Ok(Some(out))
}

fn expand(attr: Attribute, cfg: &Cfg, out: &mut Vec<Attribute>) -> Result<(), Malformed> {
    if !attr.path().is_ident("cfg_attr") {
        out.push(attr);
        return Ok(());
    }
    let list = attr.meta.require_list()?;
    if let Some(metas) = cfg.cfg_attr(list.tokens.clone())? {
        for meta in metas {
            let inner = Attribute {
                meta,
                ..attr.clone()
            };
            expand(inner, cfg, out)?;
        }
    }
    Ok(())
}

fn has_inner_cfg(input: &DeriveInput) -> bool {
    let fields_have = |fields: &syn::Fields| fields.iter().any(|f| f.attrs.iter().any(is_cfg));
    match &input.data {
        syn::Data::Struct(s) => fields_have(&s.fields),
        syn::Data::Enum(e) => e
            .variants
            .iter()
            .any(|v| v.attrs.iter().any(is_cfg) || fields_have(&v.fields)),
        syn::Data::Union(_) => false,
    }
}

/// Fields and variants as the compiler configures them for the derive.
fn configure_data(input: &mut DeriveInput, cfg: &Cfg) -> Result<(), Malformed> {
    match &mut input.data {
        syn::Data::Struct(s) => configure_fields(&mut s.fields, cfg),
        syn::Data::Enum(e) => {
            let variants = std::mem::take(&mut e.variants);
            for mut v in variants {
                if let Some(attrs) = configure_attrs(&v.attrs, cfg)? {
                    v.attrs = attrs;
                    configure_fields(&mut v.fields, cfg)?;
                    e.variants.push(v);
                }
            }
            Ok(())
        }
        syn::Data::Union(_) => Ok(()),
    }
}

fn configure_fields(fields: &mut syn::Fields, cfg: &Cfg) -> Result<(), Malformed> {
    let list = match fields {
        syn::Fields::Named(n) => &mut n.named,
        syn::Fields::Unnamed(u) => &mut u.unnamed,
        syn::Fields::Unit => return Ok(()),
    };
    let old = std::mem::take(list);
    for mut field in old {
        if let Some(attrs) = configure_attrs(&field.attrs, cfg)? {
            field.attrs = attrs;
            list.push(field);
        }
    }
    Ok(())
}

/// Whether `#[derive(..., Name, ...)]` (or `path::Name`) is among the attributes.
fn derives(attrs: &[syn::Attribute], name: &str) -> bool {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("derive"))
        .any(|a| {
            a.parse_args_with(Punctuated::<syn::Path, Token![,]>::parse_terminated)
                .is_ok_and(|paths| {
                    paths
                        .iter()
                        .any(|p| p.segments.last().is_some_and(|s| s.ident == name))
                })
        })
}
