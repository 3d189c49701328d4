#!/usr/bin/env bash
# Prints the base URL (no database name) of a Postgres server for Backbeat:
#   1. the server named by DATABASE_URL, when set;
#   2. else the Postgres answering on 127.0.0.1:5432;
#   3. else a private cluster in .postgres/, started from the system's Postgres
#      binaries (as the `postgres` user when run as root: initdb refuses root);
#   4. else it says what to install and fails.
# Messages go to stderr; only the URL goes to stdout.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
say() { echo "database: $*" >&2; }

if [ -n "${DATABASE_URL:-}" ]; then
  echo "${DATABASE_URL%/*}"
  exit 0
fi

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

if port_open 5432; then
  echo "postgres://postgres@127.0.0.1:5432"
  exit 0
fi

private_port=5433
data="$root/.postgres/data"
if port_open "$private_port" && [ -f "$data/postmaster.pid" ]; then
  echo "postgres://postgres@127.0.0.1:$private_port"
  exit 0
fi

find_bindir() {
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
    return
  fi
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; fi
}

bindir=$(find_bindir)
if [ -z "$bindir" ]; then
  say "no Postgres is answering on 127.0.0.1:5432 and no Postgres binaries were found."
  say "Install PostgreSQL (14 or newer), e.g. on Debian or Ubuntu: sudo apt-get install postgresql"
  say "or point DATABASE_URL at a server you have, e.g. DATABASE_URL=postgres://user@host:5432/backbeat"
  exit 1
fi

# initdb and postgres refuse to run as root: run them as the postgres user then.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

mkdir -p "$root/.postgres"
if [ "$(id -u)" = 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    say "running as root, and there is no 'postgres' user to run the private cluster as."
    say "Install Debian's postgresql package (it creates that user), or set DATABASE_URL."
    exit 1
  fi
  chown postgres "$root/.postgres"
fi
if [ ! -f "$data/PG_VERSION" ]; then
  say "creating a private Postgres cluster in .postgres/ (one time)"
  as_owner "$bindir/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >"$root/.postgres/initdb.log" 2>&1 \
    || { say "initdb failed; see .postgres/initdb.log"; exit 1; }
fi
say "starting the private Postgres cluster on 127.0.0.1:$private_port"
as_owner "$bindir/pg_ctl" -D "$data" -l "$root/.postgres/server.log" -w \
  -o "-p $private_port -k /tmp -c listen_addresses=127.0.0.1" start >/dev/null \
  || { say "Postgres did not start; see .postgres/server.log"; exit 1; }
echo "postgres://postgres@127.0.0.1:$private_port"
