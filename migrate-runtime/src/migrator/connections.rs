//! The physical check behind "contract runs once every old binary is gone": connections whose
//! `application_name` carries the tag of an older release ([`crate::release_tag`]).

use sqlx::PgConnection;

use crate::release_tag;

/// Open connections of one older binary, grouped by `application_name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OldConnections {
    /// The release the tag names.
    pub release: u32,
    /// The `application_name`.
    pub application_name: String,
    /// How many connections carry it.
    pub count: i64,
}

impl std::fmt::Display for OldConnections {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} connection(s) as `{}` (release {})",
            self.count, self.application_name, self.release
        )
    }
}

/// The connections to this database tagged with a release older than `release`, sorted.
pub(crate) async fn older_than(
    conn: &mut PgConnection,
    release: u32,
) -> Result<Vec<OldConnections>, sqlx::Error> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT application_name, count(*) FROM pg_catalog.pg_stat_activity WHERE datname = pg_catalog.current_database() AND pid <> pg_catalog.pg_backend_pid() AND application_name ~ $1 GROUP BY application_name ORDER BY application_name",
    )
    .bind(release_tag::PATTERN)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(application_name, count)| {
            let tagged = release_tag::release_of(&application_name)?;
            (tagged < release).then_some(OldConnections {
                release: tagged,
                application_name,
                count,
            })
        })
        .collect())
}
