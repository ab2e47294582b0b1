#!/usr/bin/env bash
# The test command of the README, and what CI runs (.ci/run calls exactly this).
# Installs what a fresh machine lacks (the wasm32 target, pinned tools), then runs
# the checks, the whole test suite, the wasm32 builds, and smoke runs of the
# benchmarks. Set PANORAMIX_TEST_QUICK=1 to skip the benchmark smoke runs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
step() { printf '\n=== %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }

step "toolchain"
shared=$(cd "$root/.." && pwd)/shared
if [ -x "$shared/toolchain/ensure-wasm32.sh" ] || [ -f "$shared/toolchain/ensure-wasm32.sh" ]; then
  bash "$shared/toolchain/ensure-wasm32.sh"
else
  rustup target add wasm32-unknown-unknown
fi
cargo --version

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
  POST_LOAD_SECS=1 cargo bench --locked --bench post_load
fi
step "all passed"
