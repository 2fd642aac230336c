#!/usr/bin/env bash
# Builds every fuzz target with clang + libFuzzer (+ ASan/UBSan) and runs each
# for a bounded time on a scratch copy of its corpus.
#   scripts/fuzz.sh [seconds-per-target]     (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
dir=build-fuzz
cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_COMPILER=clang++ -DCOHORT_BUILD_FUZZERS=ON >/dev/null
cmake --build "$dir" -j "${COHORT_JOBS:-$(nproc)}"

status=0
while IFS='|' read -r target corpus; do
  [[ -z "$target" ]] && continue
  binary=$(find "$dir" -type f -name "$target" -perm -u+x | head -1)
  work="$dir/corpus/$target"
  rm -rf "$work" && mkdir -p "$work" && cp -r "$corpus"/. "$work"/
  echo "== fuzz $target for ${seconds}s"
  if ! "$binary" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
       -print_final_stats=1 -artifact_prefix="$dir/crash-$target-" "$work" \
       >"$dir/$target.log" 2>&1; then
    echo "fuzz $target FAILED; reproducer and log under $dir/" >&2
    tail -40 "$dir/$target.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|cov:" "$dir/$target.log" | tail -2
  fi
done < "$dir/fuzzers.txt"
exit $status
