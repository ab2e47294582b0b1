#!/usr/bin/env bash
# Build the npm package @panoramix/mixnet (npm/dist) from the wasm/ crate:
#   cargo (wasm32, release) → wasm-bindgen --target web (pinned to wasm/Cargo.lock's
#   version) → wasm-opt (npm binaryen@132, never Debian's) → npm/dist
# and print the module's raw and gzipped sizes against the budget.
# Installs pinned tools only when they are missing. See ../shared/docs/toolchain.md.
#
# Env: WASM_BUDGET_GZ (bytes, default 256000 = 250 KB), WASM_BUDGET_STRICT=1 to fail
# when over budget (default: warn), WASM_OPT_LEVEL (default -O3).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WASM_DIR="$ROOT/wasm"
NPM_DIR="$ROOT/npm"
# the wasm workspace has its own target dir unless the caller insists
WASM_TARGET="${WASM_TARGET_DIR:-$WASM_DIR/target}"
BUDGET=${WASM_BUDGET_GZ:-256000}
OPT=${WASM_OPT_LEVEL:--O3}
t0=$(date +%s)
step() { echo "== wasm-build: $* ($(( $(date +%s) - t0 )) s)"; }

# 1. tools ---------------------------------------------------------------------
step "tools"
if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown \
    || "$ROOT/../shared/toolchain/ensure-wasm32.sh"
fi
WBG=$(grep -A1 '^name = "wasm-bindgen"$' "$WASM_DIR/Cargo.lock" | sed -n 's/^version = "\(.*\)"/\1/p')
if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $WBG"; then
  # NOT --locked: its lock pins a webpki-roots the registry mirror does not serve
  cargo install wasm-bindgen-cli --version "$WBG"
fi
wasm-bindgen --version
(cd "$NPM_DIR" && npm ci --no-audit --no-fund --loglevel=error)
WASM_OPT="$NPM_DIR/node_modules/.bin/wasm-opt"
"$WASM_OPT" --version

# 2. the wasm crate ---------------------------------------------------------------
step "cargo build (wasm32, release)"
(cd "$WASM_DIR" && CARGO_TARGET_DIR="$WASM_TARGET" \
  cargo build --release --target wasm32-unknown-unknown -p panoramix-wasm)
RAW="$WASM_TARGET/wasm32-unknown-unknown/release/panoramix_wasm.wasm"

# 3. bindings + optimisation ------------------------------------------------------
step "wasm-bindgen"
DIST="$NPM_DIR/dist"
rm -rf "$DIST"
mkdir -p "$DIST"
wasm-bindgen --target web --out-dir "$DIST" "$RAW"
rm -f "$DIST/panoramix_wasm_bg.wasm.d.ts" "$DIST/.gitignore"
BG="$DIST/panoramix_wasm_bg.wasm"
before=$(stat -c%s "$BG")
step "wasm-opt $OPT"
"$WASM_OPT" "$OPT" --strip-debug --strip-producers \
  --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals --enable-reference-types --enable-multivalue \
  "$BG" -o "$BG.opt"
mv "$BG.opt" "$BG"

# 4. the JavaScript layer -----------------------------------------------------------
step "package files"
cp "$NPM_DIR"/src/*.js "$NPM_DIR"/src/*.d.ts "$DIST/"

# 5. sizes --------------------------------------------------------------------------
raw=$(stat -c%s "$BG")
gz=$(gzip -9c "$BG" | wc -c)
js=$(cat "$DIST"/*.js | wc -c)
echo "wasm-build: panoramix_wasm_bg.wasm after wasm-bindgen $before bytes, after wasm-opt $raw bytes raw, $gz bytes gzipped (budget $BUDGET); JavaScript $js bytes"
step "done"
if [ "$gz" -gt "$BUDGET" ]; then
  echo "wasm-build: OVER BUDGET: $gz > $BUDGET bytes gzipped" >&2
  if [ "${WASM_BUDGET_STRICT:-0}" = 1 ]; then exit 1; fi
fi
