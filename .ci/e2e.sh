#!/usr/bin/env bash
# Browser tests: a freshly built server on its own port and its own database with the
# demo data, driven by Playwright in Debian's Chromium. E2E_ONLY=tests/x.spec.ts runs one
# file's tests (`E2E_ONLY=tests/conflicts.spec.ts make e2e`).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
port=${1:-3100}
base=$(.ci/database.sh)
db=backbeat_e2e
psql -q "$base/postgres" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
export DATABASE_URL="$base/$db"
# Its own data folder too (drop folders, uploads), apart from `make run`'s var/.
export BACKBEAT_DATA_DIR=target/e2e-data
rm -rf "$BACKBEAT_DATA_DIR"
target/debug/backbeat demo >/dev/null

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; }
if port_open; then
  echo "e2e: port $port is already in use; stop what holds it, or run with E2E_PORT=another" >&2
  exit 1
fi

log=target/e2e-server.log
BACKBEAT_ADDR=127.0.0.1:$port target/debug/backbeat serve >"$log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; wait $server 2>/dev/null || true' EXIT
healthy() {
  exec 3<>"/dev/tcp/127.0.0.1/$port" || return 1
  printf 'GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
  local status
  read -r _ status _ <&3 || return 1
  exec 3>&-
  [ "$status" = 200 ]
}
for attempt in $(seq 1 100); do
  if healthy 2>/dev/null; then break; fi
  if ! kill -0 $server 2>/dev/null || [ "$attempt" = 100 ]; then
    echo "e2e: the server did not come up; its log:" >&2
    cat "$log" >&2
    exit 1
  fi
  sleep 0.1
done

cd end2end
if ! BACKBEAT_URL="http://127.0.0.1:$port" npx playwright test ${E2E_ONLY:-}; then
  echo "e2e: failed; the server's log is in $log" >&2
  exit 1
fi
