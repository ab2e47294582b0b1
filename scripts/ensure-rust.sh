#!/usr/bin/env bash
# Makes the toolchain pinned in rust-toolchain.toml usable offline, with rustfmt, clippy and
# the wasm32-unknown-unknown standard library, and prints its name (alone, on stdout).
# Messages go to stderr. scripts/test.sh exports the name as RUSTUP_TOOLCHAIN, so that no
# rustup proxy tries to install anything in the middle of the run.
#
# A fresh machine has rustup with only `stable`. The pinned channel ("1.95.0") is then
# absent, and rustup would download the whole release as soon as cargo runs in the
# repository (or fail, when RUSTUP_AUTO_INSTALL=0 is set: "toolchain '1.95.0-…' is not
# installed"). When `stable` IS that release, the pinned name is made an alias of it: a
# symlink toolchains/<channel>-<host> -> stable-<host> in RUSTUP_HOME. (`rustup toolchain
# link` cannot do it: it refuses names that look like a release, "invalid custom toolchain
# name '1.95.0'".) rustup reads the alias as the installed release, so a
# rust-toolchain.toml listing components and targets asks for no download once they are
# there. Otherwise the pinned release is installed with rustup (a download).
#   The wasm32 std: ../shared/toolchain/ensure-wasm32.sh (rustup, or the copy kept beside
# it for 1.95.0 when rustup's server does not answer), else `rustup target add`.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
unset RUSTUP_TOOLCHAIN
log() { echo "ensure-rust: $*" >&2; }

channel=$(sed -n 's/^channel *= *"\([^"]*\)".*/\1/p' "$root/rust-toolchain.toml")
[ -n "$channel" ] || { log "no channel in $root/rust-toolchain.toml"; exit 1; }
# outside the repository no rust-toolchain.toml applies: rustup installs nothing by itself
cd /
installed() { rustup toolchain list | grep -Eq "^$channel(-[^ ]+)?( |\$)"; }
if ! installed; then
  stable=$(rustc +stable --version 2>/dev/null | awk '{print $2}' || true) # none: handled below
  if [ "$stable" = "$channel" ]; then
    rustup_home=${RUSTUP_HOME:-$HOME/.rustup}
    host=$(rustc +stable -vV | sed -n 's/^host: //p')
    [ -d "$rustup_home/toolchains/stable-$host" ] || {
      log "stable is $stable but $rustup_home/toolchains/stable-$host is not a directory"
      exit 1
    }
    ln -sfn "stable-$host" "$rustup_home/toolchains/$channel-$host"
    log "toolchain $channel: aliased to stable-$host (the same release)"
  else
    log "toolchain $channel is not installed and stable is ${stable:-missing}: installing $channel (download)"
    rustup toolchain install "$channel" --profile minimal -c rustfmt -c clippy -t wasm32-unknown-unknown >&2
  fi
fi
export RUSTUP_TOOLCHAIN=$channel
ver=$(rustc --version)
case "$ver" in
  "rustc $channel "*) ;;
  *)
    log "toolchain $channel runs '$ver' (a stale alias after \`rustup update\`?" \
      "remove ${RUSTUP_HOME:-$HOME/.rustup}/toolchains/$channel-* and run again)"
    exit 1
    ;;
esac

if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
  log "adding rustfmt and clippy to $channel (download)"
  rustup component add --toolchain "$channel" rustfmt clippy >&2
fi

shared=$(cd "$root/.." && pwd)/shared
if [ -f "$shared/toolchain/ensure-wasm32.sh" ]; then
  bash "$shared/toolchain/ensure-wasm32.sh" >&2
else
  log "no $shared/toolchain/ensure-wasm32.sh: rustup target add wasm32-unknown-unknown"
  rustup target add --toolchain "$channel" wasm32-unknown-unknown >&2
fi
sysroot=$(rustc --print sysroot)
[ -d "$sysroot/lib/rustlib/wasm32-unknown-unknown/lib" ] || {
  log "no wasm32-unknown-unknown standard library in $sysroot"
  exit 1
}
log "$ver, $(cargo --version), $(cargo fmt --version), $(cargo clippy --version);" \
  "wasm32-unknown-unknown std present ($sysroot)"
echo "$channel"
