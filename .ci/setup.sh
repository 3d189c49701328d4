#!/usr/bin/env bash
# Installs what building and testing Backbeat needs, once; quiet when all is there.
#   .ci/setup.sh run    tools to build and serve
#   .ci/setup.sh test   those, plus Chromium, Node and Playwright for browser tests
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
mode=${1:-run}
say() { echo "setup: $*" >&2; }

if ! command -v cargo >/dev/null 2>&1 || ! command -v rustup >/dev/null 2>&1; then
  say "Rust is not installed. Install it with rustup (see the Rust website), then run make again."
  exit 1
fi

# The browser half of the app is compiled to WebAssembly.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown >&2
fi

# wasm-bindgen's command-line tool must match the library version in Cargo.lock exactly.
want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/"/, "", $3); print $3 }' "$root/Cargo.lock")
have=$(wasm-bindgen --version 2>/dev/null | awk '{ print $2 }' || true)
if [ "$have" != "$want" ]; then
  say "installing wasm-bindgen-cli $want (a few minutes, once)"
  # Not --locked: its own lock file names a crate version the registry no longer serves.
  cargo install wasm-bindgen-cli --version "$want" --quiet >&2
fi

apt_install() {
  local missing=("$@")
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  elif command -v sudo >/dev/null 2>&1; then
    sudo apt-get update -qq >&2 && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
  else
    say "please install these Debian packages, then run make again: ${missing[*]}"
    exit 1
  fi
}

# Debian package -> a command it provides.
need=()
command -v psql >/dev/null 2>&1 || need+=(postgresql-client)
# A Postgres server's binaries, for a private cluster, unless a server already answers.
if [ -z "${DATABASE_URL:-}" ] && ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
  && ! (PGCONNECT_TIMEOUT=3 psql -w -Atq postgres://postgres@127.0.0.1:5432/postgres -c 'SELECT 1' >/dev/null 2>&1); then
  need+=(postgresql)
fi
if [ "$mode" = test ]; then
  [ -x /usr/bin/chromium ] || need+=(chromium)
  command -v node >/dev/null 2>&1 || need+=(nodejs)
  command -v npm >/dev/null 2>&1 || need+=(npm)
fi
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  apt_install "${need[@]}"
fi

if [ "$mode" = test ]; then
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$node_major" -lt 18 ]; then
    say "Playwright needs Node.js 18 or newer; this machine has $(node --version). Install a newer nodejs."
    exit 1
  fi
  # Playwright drives Debian's Chromium: never download a browser of its own.
  if [ ! -d "$root/end2end/node_modules/@playwright/test" ] \
    || [ "$root/end2end/package-lock.json" -nt "$root/end2end/node_modules/.package-lock.json" ]; then
    say "installing Playwright (npm ci)"
    (cd "$root/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
fi
