#!/usr/bin/env bash
# Tests of the WebAssembly package (run scripts/wasm-build.sh first, or pass --build):
#   1. wasm-bindgen-test suites of wasm/ under Node, then in headless Chromium
#      (Debian chromium + chromium-driver; installed here when missing and root);
#   2. the Node test suite (node:test) of npm/test against the packed tarball
#      installed into a temporary project, with a live native controller and the
#      native helper pmx-native (npm/test/native: Rust agents, fixtures, checks);
#   3. the README's first example, run unchanged, and the examples under tsc --strict;
#      docs/npm-api.md checked against the type declarations (npm run docs);
#      consumers: Node ESM and CommonJS, a plain <script type=module> page with a
#      module Web Worker, esbuild, Vite (build, `vite preview`, dev server), every
#      page under a strict CSP in headless Chromium; publint and attw on the tarball.
#   4. with WASM_BENCH=1, the benchmark of the package against the native crates
#      (otherwise a smoke run of it: every row once, briefly).
# Env: PANORAMIX_BIN (default: build the root `panoramix` binary), SKIP_BROWSER=1,
#      WASM_TARGET_DIR (default wasm/target), ROOT_TARGET_DIR (default $CARGO_TARGET_DIR
#      or target/).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WASM_DIR="$ROOT/wasm"
NPM_DIR="$ROOT/npm"
WASM_TARGET="${WASM_TARGET_DIR:-$WASM_DIR/target}"
t0=$(date +%s)
step() { echo "== wasm-test: $* ($(( $(date +%s) - t0 )) s)"; }
fail=0

if [ "${1:-}" = "--build" ]; then "$ROOT/scripts/wasm-build.sh"; fi
[ -f "$NPM_DIR/dist/panoramix_wasm_bg.wasm" ] || "$ROOT/scripts/wasm-build.sh"

# 1. wasm-bindgen-test --------------------------------------------------------------
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner
step "wasm-bindgen-test under Node"
# NO -q: cargo would pass --quiet to the runner, which rejects it
(cd "$WASM_DIR" && CARGO_TARGET_DIR="$WASM_TARGET" \
  cargo test --locked --target wasm32-unknown-unknown -p panoramix-wasm --tests) || fail=1
if [ "${SKIP_BROWSER:-0}" != 1 ]; then
  if { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; } && [ "$(id -u)" = 0 ]; then
    step "installing chromium and chromium-driver (Debian)"
    # a failed install shows below as missing binaries, and fails the run
    apt-get update -qq || fail=1
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver || fail=1
  fi
  if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then
    step "wasm-bindgen-test in headless Chromium"
    # (the chromium wrapper may print a harmless "[: …: unexpected operator" on stderr)
    echo "wasm-test: $(/usr/bin/chromium --version), $(/usr/bin/chromedriver --version)"
    (cd "$WASM_DIR" && CARGO_TARGET_DIR="$WASM_TARGET" WASM_BINDGEN_USE_BROWSER=1 \
      CHROMEDRIVER=/usr/bin/chromedriver \
      cargo test --locked --target wasm32-unknown-unknown -p panoramix-wasm --tests) || fail=1
  else
    echo "wasm-test: no /usr/bin/chromium + /usr/bin/chromedriver (apt-get install chromium chromium-driver, or SKIP_BROWSER=1)" >&2
    fail=1
  fi
fi

# 2. native side: the controller and pmx-native ---------------------------------------
step "native helper (pmx-native, npm/test/native, a member of the wasm/ workspace)"
(cd "$WASM_DIR" && CARGO_TARGET_DIR="$WASM_TARGET" cargo build --locked --release -p panoramix-wasm-native)
export PMX_NATIVE="$WASM_TARGET/release/pmx-native"
if [ -z "${PANORAMIX_BIN:-}" ]; then
  step "controller binary (panoramix)"
  ROOT_TARGET="${ROOT_TARGET_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}}"
  (cd "$ROOT" && CARGO_TARGET_DIR="$ROOT_TARGET" cargo build --locked --bin panoramix)
  PANORAMIX_BIN="$ROOT_TARGET/debug/panoramix"
fi
export PANORAMIX_BIN

# 3. the packed tarball in a temporary project ------------------------------------------
step "npm pack + install into a temporary project"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/pmx-npm-XXXXXX")
trap 'rm -rf "$TMP"' EXIT
TGZ=$(cd "$NPM_DIR" && npm pack --silent --pack-destination "$TMP" | tail -1)
echo "wasm-test: packed $TGZ ($(stat -c%s "$TMP/$TGZ") bytes)"

step "package lint: publint and are-the-types-wrong on the tarball"
"$NPM_DIR/node_modules/.bin/publint" run --strict "$TMP/$TGZ" || fail=1
# ESM only (require() of it works through Node's require(esm), tested below); the
# .wasm subpaths are assets for bundlers, not modules with types
"$NPM_DIR/node_modules/.bin/attw" "$TMP/$TGZ" --profile esm-only --format table-flipped \
  --exclude-entrypoints ./panoramix_wasm_bg.wasm ./panoramix_contributor_bg.wasm || fail=1
mkdir -p "$TMP/app"
cat > "$TMP/app/package.json" <<'EOF'
{ "name": "pmx-consumer", "private": true, "type": "module" }
EOF
(cd "$TMP/app" && npm install --no-audit --no-fund --loglevel=error "$TMP/$TGZ")
cp "$NPM_DIR"/test/*.mjs "$TMP/app/"

step "README first example, unchanged"
awk '/^```js/{f=1;next} /^```/{if(f){exit}} f' "$NPM_DIR/README.md" > "$TMP/app/readme-example.mjs"
lines=$(wc -l < "$TMP/app/readme-example.mjs")
echo "wasm-test: README example: $lines lines"
if [ "$lines" -gt 10 ] || [ "$lines" -eq 0 ]; then echo "wasm-test: README example must have 1..10 lines" >&2; fail=1; fi
(cd "$TMP/app" && node readme-example.mjs) || fail=1

step "CommonJS consumer (require of the ES module, Node >= 20.19)"
(cd "$TMP/app" && node -e "const p = require('@panoramix/mixnet'); const k = p.generateKeypair(); if (!p.verify(k.keyData, 'envelope', 'x', p.sign(k.secret, 'envelope', 'x'))) process.exit(1); console.log('require ok', p.version())") || fail=1

step "examples under tsc --strict"
# typescript is a pinned devDependency: missing means `npm ci` went wrong, a failure
if [ -x "$NPM_DIR/node_modules/.bin/tsc" ]; then
  mkdir -p "$TMP/app/ts"
  cp "$TMP/app/readme-example.mjs" "$TMP/app/ts/readme.ts"
  cp "$NPM_DIR"/test/types/*.ts "$TMP/app/ts/" || fail=1
  (cd "$TMP/app" && "$NPM_DIR/node_modules/.bin/tsc" --strict --noEmit --target es2022 \
    --module nodenext --moduleResolution nodenext --skipLibCheck false ts/*.ts) || fail=1
else
  echo "wasm-test: tsc missing (npm ci in npm/)" >&2
  fail=1
fi

step "API reference (docs/npm-api.md) up to date with the type declarations"
node "$NPM_DIR/scripts/api-docs.mjs" --check || fail=1

# (without chromium, step 1 has already failed the run unless SKIP_BROWSER=1)
if [ "${SKIP_BROWSER:-0}" != 1 ] && [ -x /usr/bin/chromium ]; then
  step "plain <script type=module> page + module Web Worker, strict CSP, headless Chromium"
  cp "$NPM_DIR"/test/browser/index.html "$NPM_DIR"/test/browser/main.js "$NPM_DIR"/test/browser/worker.js "$TMP/app/"
  node "$NPM_DIR/test/browser/run-browser.mjs" "$TMP/app" || fail=1
  [ -e "$NPM_DIR/node_modules/.bin/esbuild" ] || { echo "wasm-test: esbuild missing (npm ci in npm/)" >&2; fail=1; }
  if [ -x "$NPM_DIR/node_modules/.bin/esbuild" ]; then
    step "esbuild bundle (bare '@panoramix/mixnet' imports, page + worker), strict CSP, headless Chromium"
    mkdir -p "$TMP/app/esb" "$TMP/app/esb-out"
    for f in main.js worker.js; do
      sed -e 's#./node_modules/@panoramix/mixnet/dist/index.js#@panoramix/mixnet#' \
        -e 's#./node_modules/@panoramix/mixnet/dist/contributor-entry.js#@panoramix/mixnet/contributor#' \
        "$NPM_DIR/test/browser/$f" > "$TMP/app/esb/$f"
    done
    (cd "$TMP/app" && "$NPM_DIR/node_modules/.bin/esbuild" esb/main.js esb/worker.js --bundle \
      --format=esm --platform=browser --outdir=esb-out --log-level=warning) || fail=1
    # esbuild does not emit assets named by new URL(..., import.meta.url): copy the modules
    cp "$TMP/app/node_modules/@panoramix/mixnet/dist/panoramix_wasm_bg.wasm" \
      "$TMP/app/node_modules/@panoramix/mixnet/dist/panoramix_contributor_bg.wasm" \
      "$NPM_DIR/test/browser/index.html" "$TMP/app/esb-out/"
    node "$NPM_DIR/test/browser/run-browser.mjs" "$TMP/app/esb-out" || fail=1
  fi
  [ -e "$NPM_DIR/node_modules/.bin/vite" ] || { echo "wasm-test: vite missing (npm ci in npm/)" >&2; fail=1; }
  if [ -f "$NPM_DIR/node_modules/vite/bin/vite.js" ]; then
    step "Vite production build (bare imports, page + worker), strict CSP, headless Chromium"
    mkdir -p "$TMP/app/vite"
    for f in main.js worker.js; do
      sed -e 's#./node_modules/@panoramix/mixnet/dist/index.js#@panoramix/mixnet#' \
        -e 's#./node_modules/@panoramix/mixnet/dist/contributor-entry.js#@panoramix/mixnet/contributor#' \
        "$NPM_DIR/test/browser/$f" > "$TMP/app/vite/$f"
    done
    cp "$NPM_DIR/test/browser/index.html" "$NPM_DIR/test/browser/vite.config.mjs" "$TMP/app/vite/"
    (cd "$TMP/app/vite" && node "$NPM_DIR/node_modules/vite/bin/vite.js" build --config vite.config.mjs) || fail=1
    node "$NPM_DIR/test/browser/run-browser.mjs" "$TMP/app/vite/dist" || fail=1
    # the same build served by `vite preview`, and the sources by the dev server,
    # each on a loopback port chosen here, behind the CSP-adding relay (the dev
    # client's HMR websocket goes straight to Vite's port: connect-src allows it)
    for mode in preview dev; do
      step "Vite $mode server (page + worker), strict CSP, headless Chromium"
      port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
      if [ "$mode" = preview ]; then
        args=(preview --config vite.config.mjs --host 127.0.0.1 --port "$port" --strictPort)
      else
        args=(--config vite.config.mjs --host 127.0.0.1 --port "$port" --strictPort)
      fi
      (cd "$TMP/app/vite" && exec node "$NPM_DIR/node_modules/vite/bin/vite.js" "${args[@]}") \
        > "$TMP/vite-$mode.log" 2>&1 &
      vite_pid=$!
      up=0
      for _ in $(seq 1 100); do
        if node -e "fetch('http://127.0.0.1:$port/').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"; then
          up=1; break
        fi
        sleep 0.2
      done
      if [ "$up" = 1 ]; then
        extra=""; [ "$mode" = dev ] && extra="ws://127.0.0.1:$port"
        PMX_CONNECT_EXTRA="$extra" \
          node "$NPM_DIR/test/browser/run-browser.mjs" --upstream="http://127.0.0.1:$port/" || fail=1
      else
        echo "wasm-test: vite $mode did not answer on 127.0.0.1:$port" >&2; cat "$TMP/vite-$mode.log" >&2; fail=1
      fi
      # cleanup only: the server may have exited already
      kill "$vite_pid" 2>/dev/null || true
      wait "$vite_pid" 2>/dev/null || true
    done
  fi
fi

step "recordings of native contributor agents (tests/replay.rs), for the replay test"
# npm/test/replay.test.mjs replays them through the WebAssembly state machine
export PANORAMIX_RECORDINGS_DIR="$TMP/recordings"
(cd "$ROOT" && CARGO_TARGET_DIR="${ROOT_TARGET_DIR:-${CARGO_TARGET_DIR:-$ROOT/target}}" \
  cargo test --locked --test replay) || fail=1

step "node:test suite against a live controller"
# the replay test drives the package's internal FormationMachine too (dist/processing.js),
# so it runs from the package's own directory, on the same build as the tarball
rm -f "$TMP/app/replay.test.mjs"
(cd "$TMP/app" && node --test --test-reporter=spec ./*.test.mjs) || fail=1
(cd "$NPM_DIR" && node --test --test-reporter=spec test/replay.test.mjs) || fail=1

if [ "${WASM_BENCH:-0}" = 1 ]; then
  step "benchmark: the package vs the native crates (CPU time, single-threaded)"
  PMX_PACKAGE="$TMP/app/node_modules/@panoramix/mixnet/dist/index.js" \
    node "$NPM_DIR/bench/bench.mjs" 64 1000 || fail=1
else
  # smoke run (a few seconds): every row of the benchmark still runs on both sides
  step "benchmark smoke run (WASM_BENCH=1 for figures)"
  PMX_PACKAGE="$TMP/app/node_modules/@panoramix/mixnet/dist/index.js" \
    node "$NPM_DIR/bench/bench.mjs" 4 20 > "$TMP/bench-smoke.txt" || { cat "$TMP/bench-smoke.txt"; fail=1; }
fi

step "done"
if [ "$fail" != 0 ]; then echo "wasm-test: FAILED" >&2; exit 1; fi
echo "wasm-test: all passed"
