#!/usr/bin/env bash
# The controller on a Worker: build worker/ (pinned tools, bundle size check), lint it,
# then run the end-to-end suites against it under workerd (`wrangler dev --local` on
# loopback ports, started and stopped by the tests): the seed scenario, the bad-input
# table, the adversarial suite (rate limits included), the end-to-end mix-net runs,
# kill -9 during posts (acknowledged posts survive a restart on the same Durable
# Object state), and the concurrency tests. Set PANORAMIX_TEST_QUICK=1 to skip the
# benchmark smoke run (native and Worker side by side, 1 s each).
set -euo pipefail
cd "$(dirname "$0")/.."
export WRANGLER_SEND_METRICS=false
step() { printf '\n=== %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }

step "worker: build"
worker/build.sh

step "worker: format and lints"
(cd worker && cargo fmt -- --check)
(cd worker && cargo clippy --locked --release --target wasm32-unknown-unknown -- -D warnings)

step "worker: end-to-end suites under workerd"
PANORAMIX_TEST_TARGET=worker cargo test --locked \
  --test scenario --test bad_inputs --test api_strict --test adversarial --test observability --test mixnet --test crash \
  --test worker_concurrency

if [ "${PANORAMIX_TEST_QUICK:-0}" != 1 ]; then
  step "worker: benchmark smoke run (native and Worker)"
  cargo bench --locked --bench worker_load -- --smoke
fi
step "worker: all passed"
