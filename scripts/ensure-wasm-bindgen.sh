#!/usr/bin/env bash
# Makes sure `wasm-bindgen` and `wasm-bindgen-test-runner` are on PATH at exactly the
# version of the wasm-bindgen library locked in the Cargo.lock files given as arguments
# (the CLI must match the library), and prints the version. Installs them, only when
# missing or at another version, with `cargo install --locked` from tools/wasm-bindgen-cli,
# whose committed Cargo.lock makes the build reproducible (why not the crates.io package
# with --locked: see tools/wasm-bindgen-cli/Cargo.toml). About 2 minutes on 2 cores.
# Usage: scripts/ensure-wasm-bindgen.sh wasm/Cargo.lock [worker/Cargo.lock ...]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tool=$root/tools/wasm-bindgen-cli
locked() { grep -A1 "^name = \"$1\"\$" "$2" | sed -n 's/^version = "\(.*\)"$/\1/p'; }
want=$(locked wasm-bindgen-cli "$tool/Cargo.lock")
[ -n "$want" ] || { echo "ensure-wasm-bindgen: no wasm-bindgen-cli in $tool/Cargo.lock" >&2; exit 1; }
for lock in "$@"; do
  have=$(locked wasm-bindgen "$lock")
  if [ "$have" != "$want" ]; then
    echo "ensure-wasm-bindgen: $lock locks wasm-bindgen ${have:-(none)} but tools/wasm-bindgen-cli" \
      "builds the CLI $want: set both to the same version" >&2
    exit 1
  fi
done
# a missing or failing tool is what the check is for: it is then installed
current() {
  wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $want" &&
    wasm-bindgen-test-runner --version 2>/dev/null | grep -qx "wasm-bindgen-test-runner $want"
}
if ! current; then
  echo "ensure-wasm-bindgen: installing wasm-bindgen $want from tools/wasm-bindgen-cli (--locked)" >&2
  build=$(mktemp -d "${TMPDIR:-/tmp}/pmx-wbg-XXXXXX")
  # --force: replaces another version's binaries (e.g. from `cargo install wasm-bindgen-cli`)
  cargo install --locked --force --path "$tool" --target-dir "$build"
  rm -rf "$build"
  current || {
    echo "ensure-wasm-bindgen: after the install, $(command -v wasm-bindgen || echo 'no wasm-bindgen')" \
      "is not $want (is ~/.cargo/bin first on PATH?)" >&2
    exit 1
  }
fi
echo "ensure-wasm-bindgen: $(wasm-bindgen --version) at $(command -v wasm-bindgen)," \
  "$(wasm-bindgen-test-runner --version)" >&2
