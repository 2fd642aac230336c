#!/usr/bin/env bash
# Installs what is missing, builds, and runs the demo on embedded defaults.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build --target cohort_demo -j "${COHORT_JOBS:-$(nproc)}"
exec build/examples/cohort_demo "$@"
