#!/usr/bin/env bash
# Build the npm package @panoramix/mixnet (npm/dist) from the wasm/ crate, as two
# WebAssembly modules:
#   * the client module (panoramix_wasm_bg.wasm; cargo feature `client`): keys,
#     canonical encoding, envelopes, negotiations, Sphinx packets/SURBs/replies,
#     ballots. `init()` loads it; a web app loads only this one by default, and the
#     size budget applies to it;
#   * the contributor module (panoramix_contributor_bg.wasm; feature `contributor`):
#     batch processing, shuffles with proofs, decryption and their verification,
#     loaded by `initContributor()` / the `@panoramix/mixnet/contributor` entry.
# Each: cargo (wasm32, release) → wasm-bindgen --target web (pinned to
# wasm/Cargo.lock's version, scripts/ensure-wasm-bindgen.sh) → wasm-opt (npm
# binaryen@132, never Debian's) → npm/dist.
# Prints both modules' raw and gzipped sizes and checks the client module against
# the budget. Installs pinned tools only when they are missing. See
# ../shared/docs/toolchain.md.
#
# Env: WASM_BUDGET_GZ (bytes, default 256000 = 250 KB, for the client module),
# WASM_BUDGET_STRICT (default 1: fail when over budget; 0: warn only),
# WASM_OPT_LEVEL (default -O3).
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
# the wasm32 std of the toolchain in use (scripts/test.sh has set it up already)
if [ ! -d "$(rustc --print sysroot)/lib/rustlib/wasm32-unknown-unknown/lib" ]; then
  if [ -f "$ROOT/../shared/toolchain/ensure-wasm32.sh" ]; then
    bash "$ROOT/../shared/toolchain/ensure-wasm32.sh"
  else
    rustup target add wasm32-unknown-unknown
  fi
fi
# wasm-bindgen CLI = wasm/Cargo.lock's wasm-bindgen, installed with --locked when missing
bash "$ROOT/scripts/ensure-wasm-bindgen.sh" "$WASM_DIR/Cargo.lock"
node --version
(cd "$NPM_DIR" && npm ci --no-audit --no-fund --loglevel=error)
WASM_OPT="$NPM_DIR/node_modules/.bin/wasm-opt"
"$WASM_OPT" --version

# 2.-3. the wasm crate, once per module: cargo → wasm-bindgen → wasm-opt ------------------
DIST="$NPM_DIR/dist"
rm -rf "$DIST"
mkdir -p "$DIST"
RAW="$WASM_TARGET/wasm32-unknown-unknown/release/panoramix_wasm.wasm"
declare -A BEFORE
# feature → output name (dist/<name>.js, dist/<name>_bg.wasm)
for spec in client:panoramix_wasm contributor:panoramix_contributor; do
  feature=${spec%%:*}
  name=${spec#*:}
  step "cargo build (wasm32, release, feature $feature)"
  (cd "$WASM_DIR" && CARGO_TARGET_DIR="$WASM_TARGET" \
    cargo build --locked --release --target wasm32-unknown-unknown -p panoramix-wasm \
      --no-default-features --features "$feature")
  step "wasm-bindgen ($name)"
  wasm-bindgen --target web --out-dir "$DIST" --out-name "$name" "$RAW"
  rm -f "$DIST/${name}_bg.wasm.d.ts" "$DIST/.gitignore"
  BG="$DIST/${name}_bg.wasm"
  BEFORE[$name]=$(stat -c%s "$BG")
  step "wasm-opt $OPT ($name)"
  "$WASM_OPT" "$OPT" --strip-debug --strip-producers \
    --enable-simd --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
    --enable-mutable-globals --enable-reference-types --enable-multivalue \
    "$BG" -o "$BG.opt"
  mv "$BG.opt" "$BG"
done

# 4. the JavaScript layer -----------------------------------------------------------
step "package files"
cp "$NPM_DIR"/src/*.js "$NPM_DIR"/src/*.d.ts "$DIST/"

# 5. sizes --------------------------------------------------------------------------
js=$(cat "$DIST"/*.js | wc -c)
for name in panoramix_wasm panoramix_contributor; do
  BG="$DIST/${name}_bg.wasm"
  raw=$(stat -c%s "$BG")
  gz=$(gzip -9c "$BG" | wc -c)
  if [ "$name" = panoramix_wasm ]; then
    client_gz=$gz
    echo "wasm-build: client module ${name}_bg.wasm (loaded by default): after wasm-bindgen ${BEFORE[$name]} bytes, after wasm-opt $raw bytes raw, $gz bytes gzipped (budget $BUDGET)"
  else
    echo "wasm-build: contributor module ${name}_bg.wasm (loaded on demand): after wasm-bindgen ${BEFORE[$name]} bytes, after wasm-opt $raw bytes raw, $gz bytes gzipped"
  fi
done
echo "wasm-build: JavaScript $js bytes"
step "done"
if [ "$client_gz" -gt "$BUDGET" ]; then
  echo "wasm-build: OVER BUDGET: client module $client_gz > $BUDGET bytes gzipped" >&2
  if [ "${WASM_BUDGET_STRICT:-1}" = 1 ]; then exit 1; fi
fi
