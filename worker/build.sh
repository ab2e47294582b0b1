#!/usr/bin/env bash
# Build the controller Worker into worker/build/ with pinned tools and no downloads
# at build time: wasm-bindgen-cli at Cargo.lock's wasm-bindgen version and
# worker-build 0.8.7 are installed with cargo only when missing; wrangler, esbuild
# and binaryen (wasm-opt) come from npm via package-lock.json. Prints the bundle
# size as `wrangler deploy --dry-run` computes it and fails if the gzip-compressed
# Worker is larger than 1 MiB. `worker/build.sh --tools` only installs the tools.
set -euo pipefail
cd "$(dirname "$0")"
export WRANGLER_SEND_METRICS=false

wbg=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"$/\1/p')
if [ -z "$wbg" ]; then
  echo "build.sh: no wasm-bindgen in worker/Cargo.lock" >&2
  exit 2
fi
# the wasm-bindgen CLI at Cargo.lock's version, built --locked from tools/wasm-bindgen-cli
bash ../scripts/ensure-wasm-bindgen.sh Cargo.lock
# (a missing worker-build fails the version check: it is then installed)
if ! worker-build --version 2>/dev/null | grep -qx '0\.8\.7'; then
  cargo install worker-build --version 0.8.7 --locked
fi
echo "build.sh: worker-build $(worker-build --version), node $(node --version)"
if [ "${1:-}" = --tools ]; then exit 0; fi
if [ ! -x node_modules/.bin/wrangler ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi

# the three binaries worker-build would otherwise download
WASM_BINDGEN_BIN=$(command -v wasm-bindgen)
WASM_OPT_BIN=$PWD/node_modules/.bin/wasm-opt
ESBUILD_BIN=$PWD/node_modules/.bin/esbuild
export WASM_BINDGEN_BIN WASM_OPT_BIN ESBUILD_BIN
"$WASM_BINDGEN_BIN" --version | grep -qx "wasm-bindgen $wbg" || {
  echo "build.sh: wasm-bindgen CLI does not match Cargo.lock ($wbg)" >&2
  exit 2
}

# PANORAMIX_WORKER_FEATURES: cargo features of the Worker (scripts/worker-test.sh
# builds `test-hooks` into PANORAMIX_WORKER_OUT=build-test); a build with features
# never goes to build/, which is what `wrangler deploy` uploads
out=${PANORAMIX_WORKER_OUT:-build}
features=${PANORAMIX_WORKER_FEATURES:-}
if [ -n "$features" ] && [ "$out" = build ]; then
  echo "build.sh: a build with features ($features) goes elsewhere than build/: set PANORAMIX_WORKER_OUT" >&2
  exit 2
fi
# everything after `--` goes to worker-build's `cargo build`
worker-build --release --out-dir "$out" -- --locked ${features:+--features "$features"}

# the size Cloudflare counts: wrangler's own upload bundle (offline, no account needed)
dry=$(node_modules/.bin/wrangler deploy --dry-run --outdir "$out/.dry-run" "$out/index.js" 2>&1) || {
  echo "$dry" >&2
  exit 1
}
rm -rf "$out/.dry-run"
# no such line: reported as unknown, and the size check below fails
line=$(printf '%s\n' "$dry" | grep -m1 'Total Upload:' || true)
echo "worker bundle: ${line:-Total Upload: unknown}"
gz_kib=$(printf '%s\n' "$line" | sed -n 's/.*gzip: \([0-9.]*\) KiB.*/\1/p')
if [ -z "$gz_kib" ]; then
  echo "build.sh: could not read the compressed size from wrangler" >&2
  exit 1
fi
if awk -v k="$gz_kib" 'BEGIN { exit !(k > 1024) }'; then
  echo "build.sh: the compressed Worker ($gz_kib KiB) is larger than 1 MiB" >&2
  exit 1
fi
