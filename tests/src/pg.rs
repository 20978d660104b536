//! A fresh PostgreSQL database per test, so tests run in parallel.
//!
//! The server, in order: `DATABASE_URL` if set; else the local server on 127.0.0.1:5432 (user
//! `postgres`); else a throwaway cluster started with `initdb`/`pg_ctl` from PATH or
//! `/usr/lib/postgresql/*/bin`. With none of these, the test fails and says how to get one. It
//! never skips.

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

const LOCAL_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

const HOW_TO_GET_ONE: &str = "no PostgreSQL server is reachable, and no throwaway cluster could be started.
Get one of these:
  - set DATABASE_URL=postgres://user:password@host:port/postgres (a user that may CREATE DATABASE);
  - on Debian/Ubuntu, as root: apt-get install -y postgresql && pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
    (or run `bash scripts/test.sh`, which does this for you);
  - put PostgreSQL's initdb and pg_ctl on PATH, and the tests start a throwaway cluster.";

/// The server the tests use: an admin URL (to create and drop databases).
fn server_url() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        std::thread::spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("tokio runtime");
            runtime.block_on(find_server())
        })
        .join()
        .unwrap_or_else(|_| panic!("{HOW_TO_GET_ONE}"))
    })
}

async fn reachable(url: &str) -> Result<(), String> {
    let options: PgConnectOptions = url.parse().map_err(|e| format!("{e}"))?;
    let connect = PgConnection::connect_with(&options);
    match tokio::time::timeout(Duration::from_secs(5), connect).await {
        Ok(Ok(conn)) => {
            let _ = conn.close().await;
            Ok(())
        }
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("timed out after 5 s".into()),
    }
}

async fn find_server() -> String {
    if let Ok(url) = std::env::var("DATABASE_URL") {
        if let Err(e) = reachable(&url).await {
            panic!("DATABASE_URL is set but the server cannot be reached: {e}\n\n{HOW_TO_GET_ONE}");
        }
        return url;
    }
    if reachable(LOCAL_URL).await.is_ok() {
        return LOCAL_URL.to_owned();
    }
    match start_throwaway_cluster() {
        Ok(url) => match reachable(&url).await {
            Ok(()) => url,
            Err(e) => panic!(
                "a throwaway cluster was started but cannot be reached: {e}\n\n{HOW_TO_GET_ONE}"
            ),
        },
        Err(why) => panic!("{HOW_TO_GET_ONE}\n(throwaway cluster: {why})"),
    }
}

fn find_tool(name: &str) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join(name))
        .find(|p| p.is_file());
    on_path.or_else(|| {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        versions.sort();
        versions
            .into_iter()
            .rev()
            .map(|v| v.join("bin").join(name))
            .find(|p| p.is_file())
    })
}

/// Starts a cluster in a temporary folder on a free port; it lives until the machine cleans the
/// folder (each test process starts at most one).
fn start_throwaway_cluster() -> Result<String, String> {
    let initdb = find_tool("initdb").ok_or("initdb not found")?;
    let pg_ctl = find_tool("pg_ctl").ok_or("pg_ctl not found")?;
    let dir = std::env::temp_dir().join(format!("migrate-tests-pg-{}", std::process::id()));
    let data = dir.join("data");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| e.to_string())?
        .port();
    // initdb refuses to run as root; run the cluster as the `postgres` user then.
    let as_root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    let run = |program: &PathBuf, args: &[String]| -> Result<(), String> {
        let mut cmd = if as_root {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(program);
            c
        } else {
            Command::new(program)
        };
        let out = cmd
            .args(args)
            .output()
            .map_err(|e| format!("{}: {e}", program.display()))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{} failed: {}",
                program.display(),
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    };
    if as_root {
        Command::new("chown")
            .args(["-R", "postgres"])
            .arg(&dir)
            .status()
            .map_err(|e| e.to_string())?;
    }
    let data_arg = data.display().to_string();
    run(
        &initdb,
        &[
            "-D".into(),
            data_arg.clone(),
            "-U".into(),
            "postgres".into(),
            "--auth=trust".into(),
        ],
    )?;
    let options = format!(
        "-p {port} -c listen_addresses=127.0.0.1 -k {}",
        dir.display()
    );
    run(
        &pg_ctl,
        &[
            "-D".into(),
            data_arg.clone(),
            "-l".into(),
            dir.join("log").display().to_string(),
            "-o".into(),
            options,
            "-w".into(),
            "start".into(),
        ],
    )?;
    // A detached watchdog stops the cluster and removes its folder once this process exits.
    let stop = format!(
        "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {runner}'{pg_ctl}' -D '{data}' -m immediate stop >/dev/null 2>&1; rm -rf '{dir}'",
        pid = std::process::id(),
        runner = if as_root {
            "runuser -u postgres -- "
        } else {
            ""
        },
        pg_ctl = pg_ctl.display(),
        data = data_arg,
        dir = dir.display(),
    );
    Command::new("sh")
        .args(["-c", &stop])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start the cluster's watchdog: {e}"))?;
    Ok(format!("postgres://postgres@127.0.0.1:{port}/postgres"))
}

/// The prefix of every test database's name unless `MIGRATE_TEST_DB_PREFIX` sets another.
pub const DEFAULT_DB_PREFIX: &str = "migrate_test";

/// The longest prefix accepted: the name gets `_<pid>_<n>` appended and PostgreSQL keeps 63
/// bytes of a name.
const MAX_DB_PREFIX_LEN: usize = 40;

/// The prefix of the test databases' names: `MIGRATE_TEST_DB_PREFIX`, or
/// [`DEFAULT_DB_PREFIX`]. Panics, saying what is accepted, when the variable is set to
/// anything but a plain lowercase identifier.
pub fn db_prefix() -> &'static str {
    static PREFIX: OnceLock<String> = OnceLock::new();
    PREFIX.get_or_init(|| match std::env::var("MIGRATE_TEST_DB_PREFIX") {
        Ok(value) => match check_db_prefix(&value) {
            Ok(()) => value,
            Err(why) => panic!("MIGRATE_TEST_DB_PREFIX={value:?} is not usable: {why}"),
        },
        Err(std::env::VarError::NotPresent) => DEFAULT_DB_PREFIX.to_owned(),
        Err(std::env::VarError::NotUnicode(value)) => {
            panic!("MIGRATE_TEST_DB_PREFIX={value:?} is not usable: it is not UTF-8")
        }
    })
}

/// Whether `prefix` can start a database name unquoted: a lowercase letter or `_`, then
/// lowercase letters, digits and `_`, at most [`MAX_DB_PREFIX_LEN`] bytes.
pub fn check_db_prefix(prefix: &str) -> Result<(), String> {
    let rule = format!(
        "it must be a plain lowercase identifier (a-z or _ first, then a-z, 0-9 or _), 1 to {MAX_DB_PREFIX_LEN} characters, such as `{DEFAULT_DB_PREFIX}` or `ci_run_42`"
    );
    let mut chars = prefix.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if first_ok && rest_ok && prefix.len() <= MAX_DB_PREFIX_LEN {
        Ok(())
    } else {
        Err(rule)
    }
}

/// A database created for one test and dropped when the value is dropped.
pub struct TestDb {
    /// A pool on the test database.
    pub pool: PgPool,
    /// The database's name.
    pub name: String,
    /// Its URL.
    pub url: String,
}

impl TestDb {
    /// Creates a fresh, empty database.
    pub async fn create() -> TestDb {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let admin_url = server_url();
        let name = format!(
            "{}_{}_{}",
            db_prefix(),
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let mut admin = PgConnection::connect(admin_url)
            .await
            .expect("connect to the admin database");
        for statement in [
            format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"),
            format!("CREATE DATABASE \"{name}\""),
        ] {
            // Executor::execute: RawSql::execute's future is not Send for every lifetime,
            // and tests create databases inside spawned tasks.
            sqlx::Executor::execute(&mut admin, sqlx::raw_sql(&statement))
                .await
                .expect("create the test database");
        }
        let _ = admin.close().await;
        let options: PgConnectOptions = admin_url
            .parse::<PgConnectOptions>()
            .expect("admin url")
            .database(&name);
        let url = format!("{}", options.to_url_lossy());
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .expect("connect to the test database");
        TestDb { pool, name, url }
    }

    /// `pg_dump --schema-only` of the database, without the runner's tracking schema and
    /// sqlx's table (bookkeeping, not schema), and without the random `\restrict` lines
    /// newer pg_dump releases print.
    pub fn schema_dump(&self) -> String {
        let pg_dump = find_tool("pg_dump").unwrap_or_else(|| {
            panic!("pg_dump is not on PATH nor in /usr/lib/postgresql/*/bin; install the PostgreSQL client tools")
        });
        let out = Command::new(pg_dump)
            .args([
                "--schema-only",
                "--no-owner",
                "--no-privileges",
                "--exclude-schema=migrate",
                "--exclude-table=public._sqlx_migrations",
                "-d",
                // sqlx's own URL parameters mean nothing to libpq.
                self.url.split('?').next().unwrap_or(&self.url),
            ])
            .output()
            .expect("run pg_dump");
        assert!(
            out.status.success(),
            "pg_dump failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.starts_with("\\restrict") && !l.starts_with("\\unrestrict"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// A pool of its own on the test database (for a concurrent runner).
    pub async fn new_pool(&self) -> PgPool {
        let options: PgConnectOptions = self.url.parse().expect("test url");
        PgPoolOptions::new()
            .max_connections(3)
            .connect_with(options)
            .await
            .expect("connect to the test database")
    }

    /// Connect options for the test database.
    pub fn connect_options(&self) -> PgConnectOptions {
        self.url.parse().expect("test url")
    }

    /// A dedicated connection (for a concurrent session).
    pub async fn connection(&self) -> PgConnection {
        let options: PgConnectOptions = self.url.parse().expect("test url");
        PgConnection::connect_with(&options).await.expect("connect")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let admin_url = server_url().to_owned();
        // Drop from a separate thread with its own runtime: this runs inside the test's runtime.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url).await.ok()?;
                sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .execute(&mut admin)
                    .await
                    .ok()
            })
        })
        .join();
    }
}

#[cfg(test)]
mod tests {
    use super::{DEFAULT_DB_PREFIX, check_db_prefix};

    #[test]
    fn plain_lowercase_prefixes_are_accepted() {
        for prefix in [DEFAULT_DB_PREFIX, "ci_run_42", "_x", "a"] {
            assert_eq!(check_db_prefix(prefix), Ok(()), "{prefix}");
        }
    }

    #[test]
    fn other_prefixes_are_refused_with_the_rule() {
        let too_long = "a".repeat(41);
        for prefix in [
            "", "Migrate", "1run", "my-run", "run;drop", "run\"x", "ünï", &too_long,
        ] {
            let why = check_db_prefix(prefix).expect_err(prefix);
            assert!(
                why.contains("plain lowercase identifier"),
                "{prefix}: {why}"
            );
        }
    }
}
