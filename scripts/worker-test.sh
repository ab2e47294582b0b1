#!/usr/bin/env bash
# The controller on a Worker: build worker/ twice (pinned tools, bundle size check):
# the production Worker into worker/build/ (what `wrangler deploy` uploads) and a test
# build with the `test-hooks` feature (the dump route the suites compare stores with)
# into worker/build-test/; lint it; then run the end-to-end suites against the test
# build under workerd (`wrangler dev --local` on loopback ports, started and stopped
# by the tests): the seed scenario, the bad-input table, the strict API checks, the API bounds (paging by bytes, 413, 415, read limits), the
# adversarial suite (rate limits included), the health check, the end-to-end mix-net
# runs, kill -9 during posts (acknowledged posts survive a restart on the same Durable
# Object state), the concurrency tests, and the check that the production build has
# no test hooks. A test that does not apply to the Worker says so and why; nothing
# runs on the native server instead. The run ends with a table per suite: tests that
# ran, not applicable (with the reasons), and servers started (scripts/test-report.sh;
# also on failure). Set PANORAMIX_TEST_QUICK=1 to skip the benchmark smoke run
# (native and Worker side by side, 1 s each).
set -euo pipefail
cd "$(dirname "$0")/.."
export WRANGLER_SEND_METRICS=false
step() { printf '\n=== %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }

step "worker: build (production, worker/build/)"
worker/build.sh
step "worker: build (test hooks, worker/build-test/)"
PANORAMIX_WORKER_FEATURES=test-hooks PANORAMIX_WORKER_OUT=build-test worker/build.sh

step "worker: format and lints"
(cd worker && cargo fmt -- --check)
(cd worker && cargo clippy --locked --release --target wasm32-unknown-unknown -- -D warnings)
(cd worker && cargo clippy --locked --release --target wasm32-unknown-unknown --features test-hooks -- -D warnings)

step "worker: end-to-end suites under workerd"
report=$PWD/target/test-report/worker
rm -rf "$report"
mkdir -p "$report"
rc=0
PANORAMIX_TEST_TARGET=worker PANORAMIX_TEST_REPORT_DIR=$report cargo test --locked --no-fail-fast \
  --test scenario --test bad_inputs --test api_strict --test adversarial --test observability --test mixnet --test crash \
  --test worker_concurrency --test test_hooks --test api_bounds --test api_docs --test doc_examples \
  --test fuzz_regressions --test boxes --test takeover --test changes 2>&1 | tee "$report/cargo-test.log" || rc=$?
bash scripts/test-report.sh worker "$report" || { [ "$rc" != 0 ] || rc=1; }
if [ "$rc" != 0 ]; then
  echo "worker-test.sh: the Worker suites failed" >&2
  exit "$rc"
fi

if [ "${PANORAMIX_TEST_QUICK:-0}" != 1 ]; then
  step "worker: benchmark smoke run (native and Worker)"
  cargo bench --locked --bench worker_load -- --smoke
fi
step "worker: all passed"
