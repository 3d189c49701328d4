#!/usr/bin/env bash
# Browser tests: a freshly built server on its own port and its own database with the
# demo data, driven by Playwright in Debian's Chromium.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
port=${1:-3100}
base=$(.ci/database.sh)
db=backbeat_e2e
psql -q "$base/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
export DATABASE_URL="$base/$db"
target/debug/backbeat demo >/dev/null

log=target/e2e-server.log
BACKBEAT_ADDR=127.0.0.1:$port target/debug/backbeat serve >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then break; fi
  if ! kill -0 $server 2>/dev/null; then
    echo "e2e: the server exited; its log:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.1
done

cd end2end
if ! BACKBEAT_URL="http://127.0.0.1:$port" npx playwright test; then
  echo "e2e: failed; the server's log is in $log" >&2
  exit 1
fi
