#!/usr/bin/env bash
# The test command of the README, and what CI runs (.ci/run calls exactly this).
# Installs what a fresh machine lacks (the wasm32 target, pinned tools, npm packages,
# Debian's chromium), then runs, in order:
#   1. format and lints; the whole native test suite; the pure crates on wasm32
#   2. benchmark smoke runs (a few seconds each; PANORAMIX_TEST_QUICK=1 skips them)
#   3. fuzz smoke runs of every cargo-fuzz target (FUZZ_SECS each, default 10)
#   4. the WebAssembly package: build, wasm-bindgen-test (Node, headless Chromium), Node suite
#   5. the controller on a Cloudflare Worker under workerd: the same end-to-end suites
#   6. the web demonstrators in headless Chromium
# PANORAMIX_TEST_ONLY=native stops after step 3.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
start=$(date +%s)
disk() { df -Pk "$root" | awk 'NR==2 {printf "%.1f GiB free", $4/1048576}'; }
step() { printf '\n=== %s (%s, +%ss, %s)\n' "$1" "$(date +%H:%M:%S)" "$(( $(date +%s) - start ))" "$(disk)"; }
# one-shot builds: incremental caches only cost disk here
export CARGO_TERM_COLOR=never WRANGLER_SEND_METRICS=false CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
free_kib=$(df -Pk "$root" | awk 'NR==2 {print $4}')
if [ "$free_kib" -lt $((12 * 1048576)) ]; then
  echo "warning: only $(disk) on $(df -P "$root" | awk 'NR==2 {print $6}'); the whole run needs about 12 GiB" >&2
fi

step "toolchain"
shared=$(cd "$root/.." && pwd)/shared
if [ -f "$shared/toolchain/ensure-wasm32.sh" ]; then
  bash "$shared/toolchain/ensure-wasm32.sh"
else
  rustup target add wasm32-unknown-unknown
fi
cargo --version
node --version

step "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "tests (native)"
cargo test --workspace --locked

step "pure crates build for wasm32-unknown-unknown"
cargo check --locked --target wasm32-unknown-unknown \
  -p panoramix-core -p panoramix-controller -p panoramix-sphinx -p panoramix-zeus

if [ "${PANORAMIX_TEST_QUICK:-0}" != 1 ]; then
  step "benchmark smoke runs"
  cargo bench --locked -p panoramix-core --bench core -- --warm-up-time 0.2 --measurement-time 0.5
  cargo bench --locked --bench post_load -- --smoke
  cargo bench --locked --bench mixnet_e2e -- --smoke
  # 30 s: posts, negotiations and a 3-mix Sphinx mix-net; kill -9 of the server and of a mix
  cargo bench --locked --bench soak -- --smoke
fi

step "fuzz smoke runs"
FUZZ_SECS=${FUZZ_SECS:-10} bash scripts/fuzz-smoke.sh

if [ "${PANORAMIX_TEST_ONLY:-all}" = native ]; then
  step "native checks passed"
  du -sh target fuzz/target 2>/dev/null || true
  exit 0
fi

step "WebAssembly package: build and tests"
bash scripts/wasm-build.sh
bash scripts/wasm-test.sh
# the Sphinx crate's own wasm-bindgen-test round trip under Node
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --locked -p panoramix-sphinx --target wasm32-unknown-unknown --test wasm

step "controller on a Cloudflare Worker (workerd)"
bash scripts/worker-test.sh

if [ -f scripts/web-demo-test.sh ]; then
  step "web demonstrators (headless Chromium)"
  bash scripts/web-demo-test.sh
fi

step "all passed"
du -sh target wasm/target worker/target fuzz/target 2>/dev/null || true
