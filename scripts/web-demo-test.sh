#!/usr/bin/env bash
# End-to-end tests of the web demonstrators (web-demo/, issue 8): playwright-core
# drives Debian's headless Chromium against a native `panoramix serve` on 127.0.0.1
# (port chosen at run time) that serves the pages; browser pages are the mix-net
# contributors and trustees. Screenshots: web-demo/tests/screenshots/.
#
# Installs what a fresh machine lacks (Debian chromium when running as root;
# playwright-core from the committed lock), builds the panoramix binary and the
# @panoramix/mixnet package (scripts/wasm-build.sh), copies it into web-demo/vendor/,
# and runs the tests. Every step is bounded in time.
#
# Env: CARGO_TARGET_DIR (default: <repo>/target), PANORAMIX_BIN (skip the cargo
# build and use this binary), WEB_DEMO_REUSE_WASM=1 (skip scripts/wasm-build.sh
# when npm/dist is already built), CHROMIUM (default /usr/bin/chromium),
# WEB_DEMO_TEST_TIMEOUT (seconds, default 900).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
t0=$(date +%s)
step() { echo "== web-demo-test: $* ($(( $(date +%s) - t0 )) s)"; }

# 1. Chromium ----------------------------------------------------------------------
CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
  if [ "$(id -u)" = 0 ]; then
    step "installing Debian chromium"
    timeout 600 apt-get update -qq
    DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq chromium
  else
    echo "web-demo-test: $CHROMIUM is missing; install Debian's chromium (apt-get install chromium) or set CHROMIUM" >&2
    exit 1
  fi
fi
export CHROMIUM
# (Debian's wrapper may print a harmless "[: …: unexpected operator" on stderr)
echo "web-demo-test: $("$CHROMIUM" --version) ($CHROMIUM)"

# 2. the panoramix binary ----------------------------------------------------------
if [ -z "${PANORAMIX_BIN:-}" ]; then
  step "cargo build (panoramix)"
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
  (cd "$ROOT" && timeout 1800 cargo build --locked --bin panoramix)
  PANORAMIX_BIN="$CARGO_TARGET_DIR/debug/panoramix"
fi
export PANORAMIX_BIN
"$PANORAMIX_BIN" --version

# 3. the WebAssembly package, copied into web-demo/vendor/ --------------------------
if [ "${WEB_DEMO_REUSE_WASM:-0}" = 1 ] && [ -f "$ROOT/npm/dist/panoramix_wasm_bg.wasm" ]; then
  step "reusing npm/dist"
else
  step "scripts/wasm-build.sh"
  timeout 2400 bash "$ROOT/scripts/wasm-build.sh"
fi
step "vendoring the package"
bash "$ROOT/web-demo/build-vendor.sh"

# 4. playwright-core (no browser download: Debian's chromium is used) -------------------
step "npm ci (web-demo/tests)"
(cd "$ROOT/web-demo/tests" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 300 npm ci --no-audit --no-fund --loglevel=error)

# 5. the tests ------------------------------------------------------------------------
step "end-to-end tests"
cd "$ROOT/web-demo/tests"
echo "web-demo-test: node $(node --version)"
timeout "${WEB_DEMO_TEST_TIMEOUT:-900}" node --test --test-concurrency=1 --test-reporter=spec e2e.mjs
step "done; screenshots in web-demo/tests/screenshots/"
