#!/usr/bin/env bash
# Configures and builds cohort into a build directory.
#   scripts/build.sh [build-dir] [extra cmake args...]
# Default build dir: build (RelWithDebInfo, warnings as errors, ccache).
set -euo pipefail
cd "$(dirname "$0")/.."

dir="${1:-build}"
shift || true
jobs="${COHORT_JOBS:-$(nproc)}"

cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build "$dir" -j "$jobs"
