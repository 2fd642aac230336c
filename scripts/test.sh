#!/usr/bin/env bash
# Installs what is missing, builds, and runs the whole test suite:
#   1. the release build (RelWithDebInfo, -Werror), including the packaging
#      tests (install + find_package, build tree, add_subdirectory) and every
#      fuzz target replaying its corpus plus seeded mutations;
#   2. the same suite under AddressSanitizer + UndefinedBehaviorSanitizer
#      (packaging tests excluded: they rebuild consumers, not cohort's code);
#   3. every fuzz target under libFuzzer for COHORT_FUZZ_SECONDS (default 60).
# Set COHORT_SKIP_SANITIZERS=1 for a quick local run of step 1 only.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs="${COHORT_JOBS:-$(nproc)}"
start=$(date +%s)

scripts/setup.sh

echo "== release build"
scripts/build.sh build
echo "== release tests"
ctest --test-dir build --output-on-failure -j "$jobs"

if [[ "${COHORT_SKIP_SANITIZERS:-0}" != "1" ]]; then
  echo "== asan+ubsan build"
  scripts/build.sh build-asan -DCOHORT_SANITIZE=address,undefined \
    -DCOHORT_BUILD_BENCHMARKS=OFF -DCOHORT_BUILD_EXAMPLES=OFF
  echo "== asan+ubsan tests"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure -j "$jobs" -LE package
  echo "== libFuzzer"
  scripts/fuzz.sh "${COHORT_FUZZ_SECONDS:-60}"
fi

echo "== test.sh finished in $(( $(date +%s) - start )) s"
