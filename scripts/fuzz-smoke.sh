#!/usr/bin/env bash
# Smoke-run every cargo-fuzz target for a bounded time (FUZZ_SECS each, default 10).
# cargo-fuzz needs nightly features; the stable toolchain provides them with
# RUSTC_BOOTSTRAP=1. Installs the pinned cargo-fuzz only when it is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECS:-10}
if ! cargo fuzz --version 2>/dev/null | grep -q "0.13.1"; then
  cargo install cargo-fuzz --version 0.13.1 --locked
fi
export RUSTC_BOOTSTRAP=1
targets=$(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^panoramix-fuzz$')
for t in $targets; do
  mkdir -p "fuzz/corpus/$t"
  echo "--- fuzz $t (${secs}s)"
  # run on a copy of the checked-in seeds so that CI leaves the tree clean
  work=$(mktemp -d)
  cp -r "fuzz/corpus/$t/." "$work/" 2>/dev/null || true
  (cd fuzz && cargo fuzz run "$t" "$work" -- -max_total_time="$secs" -rss_limit_mb=2048 -print_final_stats=1 2>&1 | tail -4)
  rm -rf "$work"
done
echo "fuzz smoke: no target found a crash"
