#!/usr/bin/env bash
# Prints the base URL (no database name) of a Postgres server for Backbeat:
#   1. the server named by DATABASE_URL (from the environment or .env), when set;
#   2. else the Postgres on 127.0.0.1:5432, if it lets user `postgres` in without a
#      password;
#   3. else a private cluster, started from the system's Postgres binaries (as the
#      `postgres` user when run as root: initdb refuses root);
#   4. else it says what to install and fails.
# Messages go to stderr; only the URL goes to stdout.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
say() { echo "database: $*" >&2; }

if [ -z "${DATABASE_URL:-}" ] && [ -f "$root/.env" ]; then
  DATABASE_URL=$(sed -n 's/^DATABASE_URL=//p' "$root/.env" | tail -n 1 | tr -d "\"'")
fi
if [ -n "${DATABASE_URL:-}" ]; then
  # postgres://user@host:port/name?options -> postgres://user@host:port
  rest=${DATABASE_URL#*://}
  echo "${DATABASE_URL%%://*}://${rest%%/*}"
  exit 0
fi

if ! command -v psql >/dev/null 2>&1; then
  say "psql is not installed; on Debian or Ubuntu: sudo apt-get install postgresql-client"
  exit 1
fi
answers() { PGCONNECT_TIMEOUT=3 psql -w -Atq "$1/postgres" -c 'SELECT 1' >/dev/null 2>&1; }

if answers "postgres://postgres@127.0.0.1:5432"; then
  echo "postgres://postgres@127.0.0.1:5432"
  exit 0
fi

# The private cluster lives in the checkout, unless the postgres user cannot reach it
# there (a checkout under /root, say).
private_port=5433
home="$root/.postgres"
if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 && ! runuser -u postgres -- test -x "$root"; then
  home="/var/tmp/backbeat-postgres-$(printf '%s' "$root" | sha256sum | cut -c1-12)"
fi
data="$home/data"
url="postgres://postgres@127.0.0.1:$private_port"
if answers "$url"; then
  echo "$url"
  exit 0
fi

find_bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then
    echo "$dir"
  elif command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
  fi
}

bindir=$(find_bindir)
if [ -z "$bindir" ]; then
  say "no Postgres lets user 'postgres' in on 127.0.0.1:5432, and no Postgres binaries were found."
  say "Install PostgreSQL (14 or newer), e.g. on Debian or Ubuntu: sudo apt-get install postgresql"
  say "or point DATABASE_URL at a server you have, e.g. DATABASE_URL=postgres://user:password@host:5432/backbeat"
  exit 1
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

mkdir -p "$home"
if [ "$(id -u)" = 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    say "running as root, and there is no 'postgres' user to run a private cluster as."
    say "Install Debian's postgresql package (it creates that user), or set DATABASE_URL."
    exit 1
  fi
  chown postgres "$home"
fi
if [ ! -f "$data/PG_VERSION" ]; then
  say "creating a private Postgres cluster in $home (one time)"
  as_owner "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >"$home/initdb.log" 2>&1 \
    || { say "initdb failed; see $home/initdb.log"; exit 1; }
fi
say "starting the private Postgres cluster on 127.0.0.1:$private_port"
as_owner "$bindir/pg_ctl" -D "$data" -l "$home/server.log" -w \
  -o "-p $private_port -k /tmp -c listen_addresses=127.0.0.1" start >/dev/null \
  || { say "Postgres did not start; see $home/server.log"; exit 1; }
echo "$url"
