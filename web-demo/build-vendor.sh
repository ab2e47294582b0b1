#!/usr/bin/env bash
# Copy the built @panoramix/mixnet package (npm/dist, made by scripts/wasm-build.sh)
# into web-demo/vendor/panoramix/ (gitignored), so the pages can import it from
# their own origin (PANORAMIX_NPM_DIST overrides the source directory). If the
# package still has its internal `#wasm-bytes` import (a package.json "imports"
# entry, which browsers cannot resolve), it is pointed at the web variant.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
DIST="${PANORAMIX_NPM_DIST:-$HERE/../npm/dist}"
OUT="$HERE/vendor/panoramix"
if [ ! -f "$DIST/panoramix_wasm_bg.wasm" ]; then
  echo "build-vendor: $DIST is missing; run scripts/wasm-build.sh first" >&2
  exit 1
fi
rm -rf "$OUT"
mkdir -p "$OUT"
cp "$DIST"/*.js "$DIST"/*.wasm "$OUT/"  # the client and the contributor modules
sed -i "s|from '#wasm-bytes'|from './wasm-bytes-web.js'|" "$OUT"/*.js
if grep -q "#wasm-bytes" "$OUT"/*.js; then
  echo "build-vendor: an import of #wasm-bytes is left in the vendored package" >&2
  exit 1
fi
echo "build-vendor: $(ls "$OUT" | wc -l) files in $OUT"
