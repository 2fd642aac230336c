#!/usr/bin/env bash
# Installs what building and testing cohort needs on Debian 12, and nothing
# that is already there. Idempotent: a second run installs nothing.
set -euo pipefail

# Debian packages, one purpose per line.
PACKAGES=(
  g++ cmake ninja-build ccache pkg-config          # toolchain
  libabsl-dev libasio-dev libspdlog-dev libfmt-dev # the core card
  libgtest-dev libgmock-dev libbenchmark-dev       # tests and benchmarks
  libssl-dev openssl libcurl4-openssl-dev          # TLS, request signing, HTTP
  libmemcached-dev                                 # ketama placement cross-checks
  libjemalloc-dev                                  # the raft_kv example's allocator
  clang libclang-rt-14-dev                         # libFuzzer builds (scripts/fuzz.sh)
)

# Node.js and npm run the S3-compatible test server and the interop client.
# A machine that already has a Node.js with npm (from any source) keeps it.
if ! command -v npm >/dev/null 2>&1; then
  PACKAGES+=(nodejs npm)
fi

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

install_missing() {
  if ((${#missing[@]} == 0)); then
    echo "setup: all ${#PACKAGES[@]} packages present"
    return 0
  fi
  local SUDO=""
  if [[ $(id -u) -ne 0 ]]; then
    if command -v sudo >/dev/null; then
      SUDO="sudo"
    else
      echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
      exit 1
    fi
  fi
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

install_missing

# The Node.js tools pinned in tools/node (the S3-compatible test server and the
# S3 interop client), installed into the repository, not system-wide.
bash "$(dirname "${BASH_SOURCE[0]}")/install_node_tools.sh"
