//! The accessors `#[derive(Table)]` gives a struct: statement constants and bind functions
//! for the traits in `migrate_runtime::access`, whose methods are written once there. The
//! statements come from `migrate_core::access`; here they only become tokens.

use migrate_core::access::{Binding, Statements};
use migrate_core::declare::{DeclaredCompute, DeclaredTable};
use migrate_core::render::push_code_block;
use migrate_core::sql::escape_control;
use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned as _;
use syn::{DeriveInput, Field, Ident};

/// What the derive adds for the accessors.
#[derive(Default)]
pub(crate) struct Accessors {
    /// The trait impls and the `New…` struct.
    pub(crate) items: TokenStream,
    /// `Table::COMPUTED`'s value, when some column is computed in Rust.
    pub(crate) computed: Option<TokenStream>,
}

/// A field computed by a Rust function, with the fields it reads.
struct ComputedField<'a> {
    field: &'a Field,
    compute: &'a DeclaredCompute,
    sources: Vec<&'a Field>,
}

impl ComputedField<'_> {
    /// The function called on the sources, each read as `#prefix<field>`: `self.` or a local.
    fn call(&self, read: &dyn Fn(&Field) -> TokenStream) -> TokenStream {
        let function = &self.compute.function;
        let args = self.sources.iter().map(|f| read(f));
        quote! { #function(#(&#args),*) }
    }
}

/// The local a field is decoded into.
fn local(f: &Field) -> Ident {
    format_ident!("__migrate_{}", field_name(f))
}

/// The accessor items for one struct, or nothing for a generic struct (its rows have no one
/// type to decode into).
pub(crate) fn expand(input: &DeriveInput, decl: &DeclaredTable, binding: &Binding) -> Accessors {
    // A generic struct's rows have no one type to decode into; a dropped table has no view
    // in its release.
    if !input.generics.params.is_empty() || decl.drop.is_some() {
        return Accessors::default();
    }
    let syn::Data::Struct(data) = &input.data else {
        return Accessors::default();
    };
    let fields: Vec<&Field> = data.fields.iter().collect();
    let statements = Statements::for_table(decl, &binding.views_schema);
    // The struct field behind each column, in column order.
    let columns: Vec<&Field> = statements
        .columns
        .iter()
        .filter_map(|c| fields.iter().copied().find(|f| field_name(f) == c.field))
        .collect();
    if columns.len() != statements.columns.len() {
        // Only when the declaration did not parse into these fields; its errors are reported.
        return Accessors::default();
    }
    let by_name = |name: &str| fields.iter().copied().find(|f| field_name(f) == name);
    let computed: Vec<ComputedField> = decl
        .fields
        .iter()
        .filter_map(|d| {
            let compute = &d.compute.as_ref()?.value;
            Some(ComputedField {
                field: by_name(&d.rust_name)?,
                compute,
                sources: compute
                    .from
                    .iter()
                    .filter_map(|s| by_name(&s.value))
                    .collect(),
            })
        })
        .collect();
    let computed_of = |f: &Field| {
        computed
            .iter()
            .find(|c| field_name(c.field) == field_name(f))
    };
    let ident = &input.ident;
    let rt = quote!(::migrate_runtime);
    let args_ty = quote!(#rt::sqlx::postgres::PgArguments);
    let result_ty = quote!(::core::result::Result<(), #rt::sqlx::error::BoxDynError>);
    // Fields of a type the derive does not know (taken for a PgEnum) go through
    // `enum_column::<Inner>()`, spanned on the enum type inside the field's Option/Vec: every
    // use of the field checks the one bound at the one place, so a type that is no PgEnum gets
    // one error, the derive's.
    let enum_field = |f: &Field| -> Option<TokenStream> {
        decl.fields
            .iter()
            .any(|d| d.rust_name.trim_start_matches("r#") == field_name(f) && d.takes_pg_enum())
            .then(|| crate::enum_shape(&f.ty))
            .flatten()
            .map(|(inner, shape)| {
                let shape = Ident::new(shape, Span::call_site());
                let column = quote_spanned! {inner.span()=> #rt::access::enum_column::<#inner>() };
                quote! { #column.#shape() }
            })
    };
    let binds = |of: &[&Field]| -> TokenStream {
        of.iter()
            .map(|f| {
                let (name, ty) = (f.ident.as_ref(), &f.ty);
                if let Some(c) = computed_of(f) {
                    let value = c.call(&|source| {
                        let name = &source.ident;
                        quote!(self.#name)
                    });
                    return quote_spanned! {ty.span()=> #rt::access::bind(arguments, &#value)?; };
                }
                match enum_field(f) {
                    Some(column) => quote! { #column.bind(arguments, &self.#name)?; },
                    None => {
                        quote_spanned! {ty.span()=> #rt::access::bind(arguments, &self.#name)?; }
                    }
                }
            })
            .collect()
    };

    // Every field into a local, then the computed ones that read NULL (a row an older binary
    // wrote) from their sources.
    let mut decode: Vec<TokenStream> = fields
        .iter()
        .map(|f| {
            let local = local(f);
            let column = statements.columns.iter().find(|c| c.field == field_name(f));
            let ty = &f.ty;
            match (column.map(|c| &c.column), enum_field(f)) {
                (Some(column), _) if computed_of(f).is_some() => quote_spanned! {ty.span()=>
                    let #local: ::core::option::Option<#ty> = #rt::sqlx::Row::try_get(row, #column)?;
                },
                (Some(column), Some(access)) => quote! { let #local = #access.read(row, #column)?; },
                (Some(column), None) => {
                    quote_spanned! {ty.span()=> let #local: #ty = #rt::sqlx::Row::try_get(row, #column)?; }
                }
                (None, _) => quote! { let #local: #ty = ::core::default::Default::default(); },
            }
        })
        .collect();
    decode.extend(computed.iter().map(|c| {
        let local = local(c.field);
        let value = c.call(&|source| {
            let local = self::local(source);
            quote!(#local)
        });
        quote! {
            let #local = match #local {
                ::core::option::Option::Some(value) => value,
                ::core::option::Option::None => #value,
            };
        }
    }));
    let construct = fields.iter().map(|f| {
        let (name, local) = (&f.ident, local(f));
        quote! { #name: #local }
    });

    let insert = &statements.insert;
    let bind_row = binds(&columns);
    let record_doc = record_doc(&statements, binding);
    let mut items = quote! {
        #[doc = #record_doc]
        #[automatically_derived]
        impl #rt::access::Record for #ident {
            const INSERT: &'static str = #insert;
            fn bind_row(&self, arguments: &mut #args_ty) -> #result_ty {
                #bind_row
                ::core::result::Result::Ok(())
            }
        }
        #[automatically_derived]
        impl<'r> #rt::sqlx::FromRow<'r, #rt::sqlx::postgres::PgRow> for #ident {
            fn from_row(row: &'r #rt::sqlx::postgres::PgRow) -> ::core::result::Result<Self, #rt::sqlx::Error> {
                #(#decode)*
                ::core::result::Result::Ok(Self { #(#construct),* })
            }
        }
    };

    if let Some(keyed) = &statements.keyed {
        let key_fields: Vec<&Field> = keyed.key.iter().map(|&i| columns[i]).collect();
        let key_types: Vec<&syn::Type> = key_fields.iter().map(|f| &f.ty).collect();
        let (key_ty, bind_key) = if let [single] = key_types.as_slice() {
            let span = single.span();
            (
                quote!(#single),
                quote_spanned! {span=> #rt::access::bind(arguments, key)?; },
            )
        } else {
            let indexes = (0..key_types.len()).map(syn::Index::from);
            (
                quote!((#(#key_types),*)),
                quote! { #(#rt::access::bind(arguments, &key.#indexes)?;)* },
            )
        };
        let (fetch, update, delete, upsert) =
            (&keyed.fetch, &keyed.update, &keyed.delete, &keyed.upsert);
        let conflicts = keyed.upsert_on.iter().map(|target| {
            let name = Ident::new(&target.const_name, Span::call_site());
            let sql = &target.sql;
            let doc = format!(
                "Upsert target: the unique constraint on ({}), for `upsert_on`. The conflicting row keeps its key; its other columns take the new row's.",
                doc_text(&target.columns.join(", "))
            );
            quote! {
                #[doc = #doc]
                pub const #name: #rt::access::Conflict<Self> = #rt::access::Conflict::new(#sql);
            }
        });
        items.extend(quote! {
            #[automatically_derived]
            impl #rt::access::Keyed for #ident {
                type Key = #key_ty;
                const FETCH: &'static str = #fetch;
                const UPDATE: &'static str = #update;
                const DELETE: &'static str = #delete;
                const UPSERT: &'static str = #upsert;
                fn bind_key(key: &Self::Key, arguments: &mut #args_ty) -> #result_ty {
                    #bind_key
                    ::core::result::Result::Ok(())
                }
            }
        });
        if !keyed.upsert_on.is_empty() {
            items.extend(quote! {
                #[automatically_derived]
                impl #ident { #(#conflicts)* }
            });
        }
    }

    if let Some(insert_new) = &statements.insert_new {
        let given: Vec<&Field> = statements
            .columns
            .iter()
            .zip(&columns)
            .filter(|(c, _)| !c.database_default)
            .map(|(_, f)| *f)
            .collect();
        let left: Vec<String> = statements
            .columns
            .iter()
            .filter(|c| c.database_default)
            .map(|c| c.field.clone())
            .collect();
        let new_ident = format_ident!("New{}", ident);
        let vis = &input.vis;
        for c in &computed {
            if let Some(missing) = c
                .sources
                .iter()
                .find(|s| !given.iter().any(|g| field_name(g) == field_name(s)))
            {
                let message = format!(
                    "`{}` is computed from `{}`, which the database fills in on insert, so `New{ident}` cannot compute it; compute it from fields the application sets",
                    field_name(c.field),
                    field_name(missing)
                );
                items.extend(quote_spanned! {c.field.span()=> ::core::compile_error!(#message); });
            }
        }
        let new_fields = given.iter().filter(|f| computed_of(f).is_none()).map(|f| {
            let docs = f.attrs.iter().filter(|a| a.path().is_ident("doc"));
            let (fvis, name, ty) = (&f.vis, &f.ident, &f.ty);
            quote! { #(#docs)* #fvis #name: #ty }
        });
        let bind_new = binds(&given);
        let doc = format!(
            "A new [`{ident}`] whose {} the database fills in: `insert` returns the row as stored.",
            left.iter()
                .map(|f| format!("`{f}`"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        items.extend(quote! {
            #[doc = #doc]
            #vis struct #new_ident { #(#new_fields),* }
            #[automatically_derived]
            impl #rt::access::NewRecord for #new_ident {
                type Record = #ident;
                const INSERT: &'static str = #insert_new;
                fn bind_new(&self, arguments: &mut #args_ty) -> #result_ty {
                    #bind_new
                    ::core::result::Result::Ok(())
                }
            }
        });
    }
    Accessors {
        items,
        computed: compute_jobs(decl, &computed, &statements),
    }
}

/// `Table::COMPUTED`: one job per computed field, which computes the values of the rows the
/// runner's backfill read (the sources under their column names).
fn compute_jobs(
    decl: &DeclaredTable,
    computed: &[ComputedField],
    statements: &Statements,
) -> Option<TokenStream> {
    if computed.is_empty() {
        return None;
    }
    let rt = quote!(::migrate_runtime);
    let column_of = |f: &Field| {
        statements
            .columns
            .iter()
            .find(|c| c.field == field_name(f))
            .map(|c| c.column.clone())
            .unwrap_or_default()
    };
    let jobs = computed.iter().enumerate().map(|(i, c)| {
        let job_ident = format_ident!("__MigrateCompute{i}");
        let job = format!("{}.{}.{}", decl.name.schema, decl.name.name, column_of(c.field));
        let function = &c.compute.function_text;
        let ty = &c.field.ty;
        let reads = c.sources.iter().map(|s| {
            let (local, ty, column) = (local(s), &s.ty, column_of(s));
            quote_spanned! {ty.span()=> let #local: #ty = #rt::sqlx::Row::try_get(row, #column)?; }
        });
        let value = c.call(&|source| {
            let local = local(source);
            quote!(#local)
        });
        (
            job_ident.clone(),
            quote! {
                #[derive(Debug)]
                struct #job_ident;
                impl #rt::access::ComputeJob for #job_ident {
                    fn job(&self) -> &'static str {
                        #job
                    }
                    fn function(&self) -> &'static str {
                        #function
                    }
                    fn bind_values<'q>(
                        &self,
                        query: #rt::access::PlanQuery<'q>,
                        rows: &[#rt::sqlx::postgres::PgRow],
                    ) -> ::core::result::Result<#rt::access::PlanQuery<'q>, #rt::sqlx::Error> {
                        let mut values: ::std::vec::Vec<#ty> = ::std::vec::Vec::with_capacity(rows.len());
                        for row in rows {
                            #(#reads)*
                            values.push(#value);
                        }
                        ::core::result::Result::Ok(query.bind(values))
                    }
                }
            },
        )
    });
    let (idents, impls): (Vec<Ident>, Vec<TokenStream>) = jobs.unzip();
    Some(quote! {
        {
            #(#impls)*
            &[#(&#idents),*]
        }
    })
}

/// Names as plain text in rustdoc's Markdown: control characters escaped, and the characters
/// Markdown or HTML would act on written as entities.
fn doc_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in escape_control(text).chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '`' | '*' | '_' | '[' | ']' | '\\' | '#' | '|' | '!' => {
                out.push_str(&format!("&#{};", u32::from(c)))
            }
            c => out.push(c),
        }
    }
    out
}

fn field_name(field: &Field) -> String {
    field
        .ident
        .as_ref()
        .map(|i| i.to_string().trim_start_matches("r#").to_owned())
        .unwrap_or_default()
}

/// What `cargo doc` shows on the struct's `Record` impl: the release and every statement.
fn record_doc(statements: &Statements, binding: &Binding) -> String {
    let mut doc = format!(
        "Bound to release {}{}: reads and writes the view {}. `use migrate_runtime::prelude::*` to call its methods.\n\nInsert:\n\n",
        binding.release,
        if binding.pending {
            " (pending review when this was built)"
        } else {
            ""
        },
        doc_text(&statements.view),
    );
    push_code_block(&mut doc, &escape_control(&statements.insert));
    if let Some(sql) = &statements.insert_new {
        doc.push_str("\nInsert of a `New…` row:\n\n");
        push_code_block(&mut doc, &escape_control(sql));
    }
    if let Some(keyed) = &statements.keyed {
        for (what, sql) in [
            ("Fetch", &keyed.fetch),
            ("Update", &keyed.update),
            ("Delete", &keyed.delete),
            ("Upsert", &keyed.upsert),
        ] {
            doc.push_str(&format!("\n{what}:\n\n"));
            push_code_block(&mut doc, &escape_control(sql));
        }
    }
    doc
}
