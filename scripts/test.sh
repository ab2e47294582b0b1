#!/usr/bin/env bash
# The test command of the README, and what CI runs (.ci/run calls exactly this).
# Installs what a fresh machine lacks (the pinned Rust toolchain's alias and wasm32 std,
# Node when the machine's is too old, pinned tools, npm packages, Debian's chromium),
# then runs, in order:
#   1. format and lints (root workspace and wasm/); the whole native test suite; the
#      pure crates on wasm32
#   2. benchmark smoke runs (a few seconds each; PANORAMIX_TEST_QUICK=1 skips them)
#   3. fuzz smoke runs of every cargo-fuzz target (FUZZ_SECS each, default 10)
#   4. the WebAssembly package: build, wasm-bindgen-test (Node, headless Chromium), Node suite
#   5. the controller on a Cloudflare Worker under workerd: the same end-to-end suites
#   6. the web demonstrators in headless Chromium
# PANORAMIX_TEST_ONLY=native stops after step 3. Every cargo command runs with --locked.
# At the end, and on a failure, it prints each step's wall time (and the failing step).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
start=$(date +%s)
disk() { df -Pk "$root" | awk 'NR==2 {printf "%.1f GiB free", $4/1048576}'; }
# step NAME: closes the step before (its wall time goes into the table) and opens NAME
step_names=() step_secs=() step_now="" step_t0=$start
step() {
  local now
  now=$(date +%s)
  if [ -n "$step_now" ]; then step_names+=("$step_now") step_secs+=($((now - step_t0))); fi
  step_now=$1 step_t0=$now
  printf '\n=== %s (%s, +%ss, %s)\n' "$1" "$(date +%H:%M:%S)" "$(( now - start ))" "$(disk)"
}
mmss() { printf '%d:%02d' $(($1 / 60)) $(($1 % 60)); }
step_table() {
  local rc=$? now i
  now=$(date +%s)
  if [ -n "$step_now" ]; then step_names+=("$step_now") step_secs+=($((now - step_t0))); fi
  printf '\n=== wall time per step\n'
  for i in "${!step_names[@]}"; do
    printf '%8s  %s\n' "$(mmss "${step_secs[$i]}")" "${step_names[$i]}"
  done
  printf '%8s  %s\n' "$(mmss $((now - start)))" "total"
  if [ "$rc" != 0 ]; then
    printf '=== FAILED in step "%s" (exit status %s)\n' "${step_now:-(before the first step)}" "$rc"
  fi
}
trap step_table EXIT
# one-shot builds: incremental caches only cost disk here
export CARGO_TERM_COLOR=never WRANGLER_SEND_METRICS=false CARGO_INCREMENTAL=${CARGO_INCREMENTAL:-0}
free_kib=$(df -Pk "$root" | awk 'NR==2 {print $4}')
if [ "$free_kib" -lt $((12 * 1048576)) ]; then
  echo "warning: only $(disk) on $(df -P "$root" | awk 'NR==2 {print $6}'); the whole run needs about 12 GiB" >&2
fi

step "toolchain (Rust pinned in rust-toolchain.toml, wasm32 std, Node)"
# the pinned toolchain for every cargo below, whatever directory it runs in: set once
# here so that no rustup proxy tries an install halfway (see scripts/ensure-rust.sh)
rust_toolchain=$(bash scripts/ensure-rust.sh)
export RUSTUP_TOOLCHAIN=$rust_toolchain
# Node: the machine's when new enough, else the pinned one, first on PATH from here on
node_bin=$(bash scripts/ensure-node.sh)
if [ -n "$node_bin" ]; then export PATH="$node_bin:$PATH"; fi
rustc --version
cargo --version
echo "node $(node --version) ($(command -v node)), npm $(npm --version)"

step "format and lints"
python3 scripts/lint-size.py
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# wasm/ is a workspace of its own (the npm package's crate on wasm32, and the native
# helper of the package's tests, npm/test/native)
(cd wasm && cargo fmt -- --check)
(cd wasm && cargo clippy --locked --target wasm32-unknown-unknown -p panoramix-wasm --all-targets -- -D warnings)
# and each of the two modules the npm package ships (scripts/wasm-build.sh), alone
for feature in client contributor; do
  (cd wasm && cargo clippy --locked --target wasm32-unknown-unknown -p panoramix-wasm --lib \
    --no-default-features --features "$feature" -- -D warnings)
done
(cd wasm && cargo clippy --locked -p panoramix-wasm-native --all-targets -- -D warnings)

step "python3, libsodium and pysodium for the independent Python verifiers"
# their tests (crates/panoramix-{sphinx,zeus}/tests/python_cross_check.rs) fail without them
bash scripts/ensure-python.sh
step "msmtp and fetchmail, the Debian mail clients of the mail tests"
# crates/panoramix-mail/tests/clients.rs and tests/mail.rs drive them against the gateway
bash scripts/ensure-mail-clients.sh

step "tests (native)"
# then a table per suite: tests that ran, not applicable to this host (and why)
report=$root/target/test-report/native
rm -rf "$report" && mkdir -p "$report"
PANORAMIX_TEST_REPORT_DIR=$report cargo test --workspace --locked 2>&1 | tee "$report/cargo-test.log"
bash scripts/test-report.sh native "$report"

step "pure crates build for wasm32-unknown-unknown"
cargo check --locked --target wasm32-unknown-unknown \
  -p panoramix-core -p panoramix-controller -p panoramix-sphinx -p panoramix-zeus

if [ "${PANORAMIX_TEST_QUICK:-0}" != 1 ]; then
  step "benchmark smoke runs"
  cargo bench --locked -p panoramix-core --bench core -- --warm-up-time 0.2 --measurement-time 0.5
  # Sphinx: criterion (ours and sphinx-packet side by side), then the interleaved ratios
  cargo bench --locked -p panoramix-sphinx --bench sphinx -- --warm-up-time 0.2 --measurement-time 0.5
  # Zeus: its groups set their own times (4-20 s per benchmark, N = 1,000 and 10,000), so
  # criterion's --test mode: every benchmark runs once, no summary
  cargo bench --locked -p panoramix-zeus --bench zeus -- --test
  cargo bench --locked --bench post_load -- --smoke
  cargo bench --locked --bench mixnet_e2e -- --smoke
  # 30 s: posts, negotiations and a 3-mix Sphinx mix-net; kill -9 of the server and of a mix
  cargo bench --locked --bench soak -- --smoke
fi

step "fuzz smoke runs"
FUZZ_SECS=${FUZZ_SECS:-10} bash scripts/fuzz-smoke.sh

if [ "${PANORAMIX_TEST_ONLY:-all}" = native ]; then
  step "native checks passed"
  du -sh target fuzz/target 2>/dev/null || true # printing only
  exit 0
fi

step "pinned tools (wasm-bindgen CLI, worker-build, Debian chromium)"
bash scripts/ensure-wasm-bindgen.sh Cargo.lock wasm/Cargo.lock worker/Cargo.lock
bash worker/build.sh --tools
if { [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; } && [ "$(id -u)" = 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
fi
# (/usr/bin/chromium's wrapper prints a harmless "[: …: unexpected operator" on stderr)
/usr/bin/chromium --version
/usr/bin/chromedriver --version

step "WebAssembly package: build and tests"
bash scripts/wasm-build.sh
bash scripts/wasm-test.sh
# the Sphinx crate's own wasm-bindgen-test round trip under Node
CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER=wasm-bindgen-test-runner \
  cargo test --locked -p panoramix-sphinx --target wasm32-unknown-unknown --test wasm

step "controller on a Cloudflare Worker (workerd)"
bash scripts/worker-test.sh

step "web demonstrators (headless Chromium)"
bash scripts/web-demo-test.sh

step "all passed"
du -sh target wasm/target worker/target fuzz/target 2>/dev/null || true # printing only
