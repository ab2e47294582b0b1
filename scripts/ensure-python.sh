#!/usr/bin/env bash
# Installs what the independent Python verifiers need, when it is missing:
#   crates/panoramix-zeus/tests/python/verify_zeus.py      (run by tests/python_cross_check.rs)
#   crates/panoramix-sphinx/tests/python/verify_sphinx.py  (run by tests/python_cross_check.rs)
# that is python3 with its venv module, libsodium >= 1.0.18 (Debian's libsodium23; apt-get as
# root) and the pinned pysodium of scripts/python-requirements.txt, in a virtual environment
# at target/python-venv (PANORAMIX_PYTHON_VENV overrides), where those tests look for it.
# Idempotent: a second run changes nothing. scripts/test.sh runs it before the native tests.
set -euo pipefail
cd "$(dirname "$0")/.."
req=scripts/python-requirements.txt
venv=${PANORAMIX_PYTHON_VENV:-$PWD/target/python-venv}
pin=$(sed -n 's/^pysodium==\([^ ]*\).*/\1/p' "$req")

apt_pkgs=()
command -v python3 >/dev/null || apt_pkgs+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || apt_pkgs+=(python3-venv)
# (grep without -q reads all of ldconfig's output: no SIGPIPE under pipefail)
ldconfig -p 2>/dev/null | grep 'libsodium\.so\.' >/dev/null || apt_pkgs+=(libsodium23)
if [ ${#apt_pkgs[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "ensure-python: install ${apt_pkgs[*]} (libsodium >= 1.0.18) with your package manager" >&2
    exit 1
  fi
  echo "ensure-python: apt-get install ${apt_pkgs[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_pkgs[@]}" >/dev/null
fi

installed() {
  "$venv/bin/python" - "$pin" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
import pysodium
assert version("pysodium") == sys.argv[1]
pysodium.crypto_core_ristretto255_is_valid_point(bytes(32))
PY
}
if ! installed; then
  rm -rf "$venv"
  python3 -m venv "$venv"
  "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes -r "$req"
  installed || { echo "ensure-python: pysodium $pin does not load in $venv" >&2; exit 1; }
fi
"$venv/bin/python" - <<'PY'
import ctypes, sys
from importlib.metadata import version
import pysodium
pysodium.sodium.sodium_version_string.restype = ctypes.c_char_p
print(f"python {sys.version.split()[0]}, pysodium {version('pysodium')}, "
      f"libsodium {pysodium.sodium.sodium_version_string().decode()} in {sys.prefix}")
PY
