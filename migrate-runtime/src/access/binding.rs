//! The release a binary is bound to, and the connection set-up that goes with it.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection as _, PgConnection, PgPool};

use crate::release_tag;

/// The release a crate's accessors read and write through. The build helper generates it as
/// `BINDING` (see [`crate::include_schema!`]); every struct's statements name the same schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    /// The release number.
    pub release: u32,
    /// The schema of its views.
    pub views_schema: &'static str,
    /// Whether the binary was built with this release still pending review: its plan is not
    /// accepted, so no runner has created its views.
    pub pending: bool,
    /// The views the binary uses (the release's tables), sorted.
    pub views: &'static [&'static str],
    /// The label its connections carry after the release tag (the package name).
    pub label: &'static str,
}

/// Why a connection cannot be used with this binary's release.
#[derive(Debug, thiserror::Error)]
pub enum BindError {
    /// Built with a plan pending review: no runner created views for that plan, so none are
    /// this binary's, whatever the database holds under the schema's name.
    #[error(
        "this binary was built while release {release} was pending review, so no database has its views (schema {schema}; views of that name, if any, come from another plan): review migrate.pending/, accept it with `MIGRATE_ACCEPT=1 cargo build`, build the binary again, run its expand, then start it"
    )]
    Pending {
        /// The pending release.
        release: u32,
        /// Its views schema.
        schema: &'static str,
    },
    /// The release's views are missing: its expand has not run, or a newer release's contract
    /// dropped them.
    #[error(
        "release {release}'s views are missing in this database (schema {schema}: {}): run the release's expand before starting this binary; if a newer release has contracted, this binary is too old for the database",
        missing.join(", ")
    )]
    ViewsMissing {
        /// The release.
        release: u32,
        /// Its views schema.
        schema: &'static str,
        /// The views not found.
        missing: Vec<&'static str>,
    },
    /// The database refused the set-up.
    #[error("setting up a connection for release {release}: {source}")]
    Database {
        /// The release.
        release: u32,
        /// The error.
        source: sqlx::Error,
    },
}

impl Binding {
    /// `application_name` for this binary's connections: [`release_tag::tag`], which the
    /// runner's contract looks for in `pg_stat_activity`.
    pub fn application_name(&self) -> String {
        release_tag::tag(self.release, self.label)
    }

    /// The views schema first, then `public`: unqualified names in hand-written SQL and
    /// `sqlx::query!` find this release's views, and functions and types in `public` still
    /// resolve.
    pub fn search_path(&self) -> String {
        format!(
            "{}, public",
            crate::contract::quote_ident(self.views_schema)
        )
    }

    /// A table's view in this release, qualified and quoted for hand-written SQL.
    pub fn qualified(&self, table: &str) -> String {
        format!(
            "{}.{}",
            crate::contract::quote_ident(self.views_schema),
            crate::contract::quote_ident(table)
        )
    }

    /// Connect options carrying this release's `application_name` (a startup parameter, so
    /// the tag is visible before the first statement).
    pub fn connect_options(&self, options: PgConnectOptions) -> PgConnectOptions {
        options.application_name(&self.application_name())
    }

    /// Pool options whose every new connection gets [`Binding::configure`]. A connection whose
    /// set-up fails is not handed out; `connect` then fails with the reason.
    ///
    /// This sets the pool's `after_connect` hook, which sqlx keeps one of: a hook set before is
    /// replaced, and one set after replaces this one (its connections would then carry no
    /// release tag, and contract could not see them). To run your own set-up too, write one
    /// hook that calls [`Binding::configure`] and then yours.
    pub fn pool_options(&self, options: PgPoolOptions) -> PgPoolOptions {
        let binding = *self;
        options.after_connect(move |conn, _meta| {
            Box::pin(async move {
                binding
                    .configure(conn)
                    .await
                    .map_err(|e| sqlx::Error::Configuration(Box::new(e)))
            })
        })
    }

    /// Opens a pool for this release: [`Binding::connect_options`] and
    /// [`Binding::pool_options`] over `options`. One connection is set up first, on its own,
    /// so a database without the release's views is refused with the reason (a pool would
    /// only retry until its acquire timeout).
    pub async fn connect(
        &self,
        pool: PgPoolOptions,
        options: PgConnectOptions,
    ) -> Result<PgPool, BindError> {
        let database = |source| BindError::Database {
            release: self.release,
            source,
        };
        let options = self.connect_options(options);
        let mut first = PgConnection::connect_with(&options)
            .await
            .map_err(database)?;
        let checked = self.configure(&mut first).await;
        let _ = first.close().await;
        checked?;
        self.pool_options(pool)
            .connect_with(options)
            .await
            .map_err(database)
    }

    /// Sets up one connection: `search_path` and `application_name` for this release, and a
    /// check that its views exist, all in one round trip. Call it from your own
    /// `after_connect` if you build the pool yourself.
    pub async fn configure(&self, conn: &mut PgConnection) -> Result<(), BindError> {
        let database = |source| BindError::Database {
            release: self.release,
            source,
        };
        // One row, always: the settings are in the select list, so they run whatever the
        // catalog holds.
        let (_, _, found): (String, String, Vec<String>) = sqlx::query_as(
            "SELECT pg_catalog.set_config('search_path', $1, false), pg_catalog.set_config('application_name', $2, false), ARRAY(SELECT c.relname::text FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $3 AND c.relkind = 'v' AND c.relname = ANY($4))",
        )
        .bind(self.search_path())
        .bind(self.application_name())
        .bind(self.views_schema)
        .bind(self.views)
        .fetch_one(&mut *conn)
        .await
        .map_err(database)?;
        let missing: Vec<&'static str> = self
            .views
            .iter()
            .copied()
            .filter(|v| !found.iter().any(|f| f == v))
            .collect();
        // A pending plan is not embedded anywhere, so no runner of this build made views of
        // that name: whatever holds them (another branch's release, say) is not this plan.
        if self.pending {
            return Err(BindError::Pending {
                release: self.release,
                schema: self.views_schema,
            });
        }
        if missing.is_empty() {
            return Ok(());
        }
        Err(BindError::ViewsMissing {
            release: self.release,
            schema: self.views_schema,
            missing,
        })
    }
}
