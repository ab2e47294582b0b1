#!/usr/bin/env bash
# Smoke-run every cargo-fuzz target for a bounded time (FUZZ_SECS each, default 10),
# after checking the fuzz workspace's formatting and lints.
#
# cargo-fuzz needs nightly features; the pinned stable toolchain (rust-toolchain.toml)
# provides them with RUSTC_BOOTSTRAP=1. Installs the pinned cargo-fuzz (--locked) only
# when it is missing.
#
# Lock file: cargo-fuzz 0.13.1 has no --locked option (`cargo fuzz run --help`), so
# fuzz/Cargo.lock is committed, `cargo clippy --locked` below fails if it is not
# up to date, and the script fails if the fuzz runs changed it anyway.
#
# Sanitizer: every crate of ours is #![forbid(unsafe_code)], so AddressSanitizer
# would only watch third-party code while making the targets 5 to 10 times slower;
# the targets run without it (-s none) but with debug assertions and overflow
# checks (-a), which are what catches arithmetic bugs in our code.
#
# api_request: after its run, the final corpus is replayed once with
# PANORAMIX_FUZZ_ROUTES set, which prints how many requests each route got and
# with which statuses; the script fails if a signed write route was never accepted
# (the harness must get past the signature check, not stop at a 401). Then the
# seeds are replayed against deliberately broken stores (PANORAMIX_FUZZ_SELFTEST):
# the target must fail, at the invariant each fault breaks (see fuzz/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECS:-10}
if ! cargo fuzz --version 2>/dev/null | grep -q "0.13.1"; then
  cargo install cargo-fuzz --version 0.13.1 --locked
fi
export RUSTC_BOOTSTRAP=1
fuzz_flags=(-s none -a)
lock_before=$(sha256sum fuzz/Cargo.lock)

echo "--- fuzz: cargo fmt --check, cargo clippy --all-targets --locked -D warnings"
(cd fuzz && cargo fmt --check && cargo clippy --all-targets --locked -- -D warnings)

echo "--- fuzz: build every target"
(cd fuzz && cargo fuzz build "${fuzz_flags[@]}")

targets=$(sed -n 's/^name = "\(.*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^panoramix[-_]fuzz$')
routes=$(mktemp)
for t in $targets; do
  mkdir -p "fuzz/corpus/$t"
  echo "--- fuzz $t (${secs}s)"
  # run on a copy of the checked-in seeds so that CI leaves the tree clean
  work=$(mktemp -d)
  cp -r "fuzz/corpus/$t/." "$work/"
  extra=()
  if [ "$t" = api_request ]; then
    # structured sequences need room: no slow growth of the input length
    extra=(-len_control=0 -max_len=4096)
  fi
  log=$(mktemp)
  if ! (cd fuzz && cargo fuzz run "${fuzz_flags[@]}" "$t" "$work" -- -max_total_time="$secs" \
    -rss_limit_mb=2048 -print_final_stats=1 "${extra[@]}") >"$log" 2>&1; then
    tail -80 "$log"
    echo "fuzz smoke: $t failed (crash input under fuzz/artifacts/$t/)" >&2
    exit 1
  fi
  grep -E '^(Done|stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb))' "$log"
  if [ "$t" = api_request ]; then
    echo "--- api_request: requests per route over the final corpus ($(find "$work" -type f | wc -l) inputs)"
    if ! (cd fuzz && PANORAMIX_FUZZ_ROUTES="$routes" cargo fuzz run "${fuzz_flags[@]}" "$t" "$work" -- -runs=0) >"$log" 2>&1; then
      tail -80 "$log"
      exit 1
    fi
    cat "$routes"
    for r in "/panoramix/negotiations/ POST" "/panoramix/contributions/ POST" "/panoramix/peers/ POST" \
      "/panoramix/endpoints/ POST" "/panoramix/endpoints/{id}/ PATCH" "/panoramix/messages/ POST" \
      "/panoramix/roles/ POST"; do
      set -- $r
      ok=$(awk -v r="$1" -v m="$2" '$1 == r && $2 == m { print $4 }' "$routes")
      if [ -z "$ok" ] || [ "$ok" -eq 0 ]; then
        echo "fuzz smoke: no accepted $2 $1 over the api_request corpus" >&2
        exit 1
      fi
    done
    # the invariants must be able to fail: with a deliberately broken store the
    # target has to stop on the checked-in seeds, at the invariant that fault breaks
    seeds=$(mktemp -d)
    for fault in "keep-refused:changed the store" "sql-error:-> 500"; do
      rm -rf "${seeds:?}"/* && cp -r fuzz/corpus/api_request/. "$seeds/"
      if (cd fuzz && PANORAMIX_FUZZ_SELFTEST="${fault%%:*}" cargo fuzz run "${fuzz_flags[@]}" "$t" "$seeds" -- \
        -runs=0 -artifact_prefix="$seeds/") >"$log" 2>&1; then
        echo "fuzz smoke: api_request did not catch the injected fault ${fault%%:*}" >&2
        exit 1
      fi
      if ! grep -aq -- "${fault#*:}" "$log"; then
        tail -40 "$log"
        echo "fuzz smoke: api_request failed with fault ${fault%%:*}, but not at the expected invariant" >&2
        exit 1
      fi
      echo "self-test: injected fault ${fault%%:*} caught (\"${fault#*:}\")"
    done
    rm -rf "$seeds"
  fi
  rm -rf "$work" "$log"
done
rm -f "$routes"
if [ "$(sha256sum fuzz/Cargo.lock)" != "$lock_before" ]; then
  echo "fuzz smoke: fuzz/Cargo.lock changed during the run; commit the updated lock" >&2
  exit 1
fi
echo "fuzz smoke: no target found a crash"
