#!/usr/bin/env bash
# Runs the whole test suite, after making sure a PostgreSQL server is there for it.
#
# In order: DATABASE_URL if set; else a server on 127.0.0.1:5432 (started if installed but
# stopped); else, as root on Debian/Ubuntu, PostgreSQL installed with apt and started; else
# initdb/pg_ctl on PATH (the tests then start a throwaway cluster). With none of these it stops
# and prints the command to run. It never skips the database tests.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*" >&2; }

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/5432") 2>/dev/null; }

wait_for_server() {
  for _ in $(seq 1 60); do
    port_open && return 0
    sleep 0.5
  done
  return 1
}

start_installed_cluster() {
  command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ] || return 1
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  [ -n "$version" ] || return 1
  say "starting the installed PostgreSQL $version cluster"
  pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null || true
  wait_for_server
}

# A freshly installed Debian cluster asks for a password over TCP; give the tests one.
use_password_for_fresh_install() {
  runuser -u postgres -- psql -q -c "ALTER USER postgres PASSWORD 'postgres'" >/dev/null
  export DATABASE_URL="postgres://postgres:postgres@127.0.0.1:5432/postgres"
  say "using DATABASE_URL=$DATABASE_URL"
}

ensure_postgres() {
  if [ -n "${DATABASE_URL:-}" ]; then
    say "using DATABASE_URL"
    return 0
  fi
  if port_open; then
    return 0
  fi
  if start_installed_cluster; then
    return 0
  fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "PostgreSQL is not installed: installing it with apt-get"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    if start_installed_cluster; then
      use_password_for_fresh_install
      return 0
    fi
  fi
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    say "no server running; the tests will start a throwaway cluster with initdb/pg_ctl"
    return 0
  fi
  cat >&2 <<'MSG'
error: the tests need PostgreSQL, and none could be found or set up.
  Install and start it (Debian/Ubuntu, as root):
    apt-get install -y postgresql && pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
  or point the tests at a server:
    DATABASE_URL=postgres://user:password@host:5432/postgres bash scripts/test.sh
MSG
  exit 1
}

ensure_postgres
say "running the tests"
cargo test --workspace --locked
