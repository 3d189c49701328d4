#!/usr/bin/env bash
# Keeps .sqlx/ (the query metadata that lets a fresh clone build without a database)
# in step with the queries and migrations.
#   .ci/sqlx.sh check     lint the ssr build (clippy) and fail if .sqlx/ is stale
#   .ci/sqlx.sh prepare   rewrite .sqlx/ from the queries
# Both describe every query against a scratch database migrated from migrations/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mode=${1:-check}
clippy=(cargo clippy --workspace --all-targets -- -D warnings)

query_files() { grep -rlE 'sqlx::query(_as|_scalar)?!' app/src server/src | sort; }
inputs_hash() { cat migrations/*.sql $(query_files) .sqlx/*.json 2>/dev/null | sha256sum | cut -d' ' -f1; }

stamp=target/sqlx-check.stamp
if [ "$mode" = check ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(inputs_hash)" ]; then
  # Nothing that .sqlx/ depends on changed since it was last found current.
  SQLX_OFFLINE=true "${clippy[@]}"
  exit 0
fi

base=$(.ci/database.sh)
scratch=backbeat_sqlx
psql -q "$base/postgres" -c "DROP DATABASE IF EXISTS $scratch WITH (FORCE)" -c "CREATE DATABASE $scratch"
for migration in migrations/*.sql; do
  psql -q -v ON_ERROR_STOP=1 "$base/$scratch" -f "$migration" >/dev/null
done

fresh=$root/target/sqlx-fresh
rm -rf "$fresh" && mkdir -p "$fresh"
# The query macros only run when their crate recompiles.
touch $(query_files)
export SQLX_OFFLINE=false DATABASE_URL="$base/$scratch" SQLX_OFFLINE_DIR="$fresh"
if [ "$mode" = prepare ]; then
  cargo check --workspace --all-targets
  rm -rf .sqlx && mv "$fresh" .sqlx
  echo "sqlx: .sqlx/ rewritten ($(ls .sqlx | wc -l) queries); commit it."
else
  "${clippy[@]}"
  if ! diff -r -q .sqlx "$fresh" >&2; then
    echo "sqlx: .sqlx/ does not match the queries and migrations. Run 'make sqlx-prepare' and commit .sqlx/." >&2
    exit 1
  fi
  mkdir -p target && inputs_hash >"$stamp"
fi
