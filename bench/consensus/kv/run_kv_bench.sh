#!/usr/bin/env bash
# Replicated-KV put benchmark: cohort's raft_kv against etcd 3.4, same machine,
# same disk, same run.
#
#   bench/consensus/kv/run_kv_bench.sh [--build-dir DIR] [--runs N]
#       [--duration S] [--warmup S] [--clients "1 16 256"] [--data-dir DIR]
#       [--only etcd|cohort] [--out FILE] [--keep] [--raft-kv-args "ARGS"]
#
# Each run: measures the disk's fsync ceiling (kv_fsync_ceiling) in the data
# directory (before the clusters start and after they stop), starts a fresh
# 3-member etcd cluster and a fresh 3-process raft_kv cluster on 127.0.0.1
# (free ports, data on the real disk, fsync on, each store's defaults
# otherwise), then for every client count drives etcd
# and then cohort with the same load (256-byte puts to random keys, every
# put to the leader), so that machine noise falls on both alike. Then stops
# both clusters. After all runs it prints one JSON document (every run, and
# per-metric medians across runs) and a markdown table with the issue's
# targets (>= 3x etcd's puts/s at 16 and 256 clients with p99 no worse than
# etcd's; p50 <= 1 ms with one client).
#
# --raft-kv-args passes extra flags to every raft_kv server (e.g. its
# snapshot or tick settings), so that both stores can be run on comparable
# settings (default: --snapshot-entries 100000, etcd's --snapshot-count;
# raft_kv's own default is small so that its tests exercise snapshots); the
# report records them.
#
# Needs: bench/consensus/kv/install_bench_deps.sh (etcd, etcdctl, Go and
# Debian's etcd Go sources), and a configured cohort build directory (the
# script builds the targets it uses with ninja).
#
# Every wait has a deadline; every process started here is killed on exit.
# Exit status: 0 done; 2 bad arguments; 3 a prerequisite is missing (the
# message says which); 1 anything else (a cluster that does not come up, a
# load generator that fails).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
BUILD_DIR="$REPO/build"
RUNS=1
DURATION=5
WARMUP=1
CLIENTS="1 16 256"
DATA_PARENT=""
ONLY=""
OUT=""
KEEP=0
RAFT_KV_ARGS="--snapshot-entries 100000"
VALUE_BYTES=256
FSYNC_SECONDS=2
HEALTH_DEADLINE=30    # seconds for a cluster to elect a leader and answer
LOADGEN_SLACK=60      # seconds a load generator may take beyond warmup+duration

usage() {
  sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
  exit 2
}

while (($#)); do
  case "$1" in
    --build-dir) BUILD_DIR=$(cd "$2" && pwd); shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --data-dir) DATA_PARENT=$2; shift 2 ;;
    --only) ONLY=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --raft-kv-args) RAFT_KV_ARGS=$2; shift 2 ;;
    -h|--help) usage ;;
    *) echo "run_kv_bench: unknown argument '$1'" >&2; usage ;;
  esac
done
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "run_kv_bench: --runs must be a positive integer, got '$RUNS'" >&2; exit 2; }
[[ $DURATION =~ ^[1-9][0-9]*$ ]] || { echo "run_kv_bench: --duration must be whole seconds >= 1, got '$DURATION'" >&2; exit 2; }
[[ $WARMUP =~ ^[0-9]+$ ]] || { echo "run_kv_bench: --warmup must be whole seconds >= 0, got '$WARMUP'" >&2; exit 2; }
for c in $CLIENTS; do
  [[ $c =~ ^[1-9][0-9]*$ ]] || { echo "run_kv_bench: --clients must list positive integers, got '$c'" >&2; exit 2; }
done
case "$ONLY" in ""|etcd|cohort) ;; *) echo "run_kv_bench: --only must be etcd or cohort, got '$ONLY'" >&2; exit 2 ;; esac
RUN_ETCD=1; RUN_COHORT=1
[[ $ONLY == etcd ]] && RUN_COHORT=0
[[ $ONLY == cohort ]] && RUN_ETCD=0

log() { echo "run_kv_bench: $*" >&2; }
missing() { echo "run_kv_bench: $*" >&2; exit 3; }

# ---------------------------------------------------------------- processes
PIDS=()
WORK=""
cleanup() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  local deadline=$((SECONDS + 10))
  for pid in "${PIDS[@]}"; do
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  PIDS=()
  if [[ -n $WORK && $KEEP -eq 0 ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Stops the processes started since index $1 of PIDS (one cluster).
stop_from() {
  local from=$1 i pid
  for ((i = from; i < ${#PIDS[@]}; i++)); do kill -TERM "${PIDS[i]}" 2>/dev/null || true; done
  local deadline=$((SECONDS + 10))
  for ((i = from; i < ${#PIDS[@]}; i++)); do
    pid=${PIDS[i]}
    while kill -0 "$pid" 2>/dev/null && ((SECONDS < deadline)); do sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  PIDS=("${PIDS[@]:0:from}")
}

# Runs a command with a deadline in seconds; its stdout goes to stdout.
bounded() {
  local limit=$1; shift
  timeout --kill-after=5 "$limit" "$@"
}

# ---------------------------------------------------------------- ports
TAKEN=" "
port_in_use() {
  if command -v ss >/dev/null; then
    ss -Htan "( sport = :$1 )" 2>/dev/null | grep -q .
  else
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
  fi
}
# Prints a port that nothing listens on and this script has not handed out.
free_port() {
  local p tries=0
  while ((tries++ < 200)); do
    p=$((20000 + RANDOM % 30000))
    [[ $TAKEN == *" $p "* ]] && continue
    port_in_use "$p" && continue
    TAKEN+="$p "
    echo "$p"
    return 0
  done
  echo "run_kv_bench: no free port found" >&2
  exit 1
}

# ---------------------------------------------------------------- JSON
# field JSON NAME: the value of a numeric or string field of a flat object.
field() {
  sed -n "s/.*\"$2\":\"\{0,1\}\([^,\"}]*\).*/\1/p" <<<"$1"
}
# median: of the numbers on stdin, one per line (mean of the middle two when even).
median() {
  sort -g | awk '{v[NR] = $1} END {
    if (NR == 0) { print "null"; exit }
    if (NR % 2) m = v[(NR + 1) / 2]; else m = (v[NR / 2] + v[NR / 2 + 1]) / 2
    printf "%.1f\n", m }'
}

# ---------------------------------------------------------------- build
KV_BIN="$BUILD_DIR/bench/consensus/kv"
[[ -f $BUILD_DIR/build.ninja ]] ||
  missing "no configured build in $BUILD_DIR (cmake -S $REPO -B $BUILD_DIR -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo), or pass --build-dir"

NINJA_TARGETS=(kv_fsync_ceiling)

# The cohort side needs the raft_kv example (a 3-process replicated KV on
# cohort's Raft) and this directory's raft_kv_loadgen.
COHORT_SERVER=""
COHORT_PENDING=""
if ((RUN_COHORT)); then
  if [[ ! -d $REPO/examples/raft_kv ]]; then
    COHORT_PENDING="examples/raft_kv (the replicated KV server) does not exist yet"
  elif [[ ! -f $REPO/bench/consensus/kv/raft_kv_loadgen.cc ]]; then
    COHORT_PENDING="bench/consensus/kv/raft_kv_loadgen.cc does not exist yet"
  fi
  if [[ -n $COHORT_PENDING ]]; then
    missing "cohort side PENDING: $COHORT_PENDING. No cohort numbers are produced; run with --only etcd for the etcd side alone."
  fi
  if ! ninja -C "$BUILD_DIR" -t query raft_kv_loadgen >/dev/null 2>&1; then
    missing "cohort side needs the examples: configure $BUILD_DIR with -DCOHORT_BUILD_EXAMPLES=ON"
  fi
  NINJA_TARGETS+=(raft_kv raft_kv_loadgen)
  COHORT_SERVER="$BUILD_DIR/examples/raft_kv/raft_kv"
fi

log "building ${NINJA_TARGETS[*]} in $BUILD_DIR"
ninja -C "$BUILD_DIR" -j2 "${NINJA_TARGETS[@]}" >&2 || { log "ninja failed"; exit 1; }

if ((RUN_ETCD)); then
  for tool in etcd etcdctl go; do
    command -v "$tool" >/dev/null || missing "$tool not found: run bench/consensus/kv/install_bench_deps.sh"
  done
  [[ -d /usr/share/gocode/src/go.etcd.io/etcd/clientv3 ]] ||
    missing "Debian's etcd Go sources are missing: run bench/consensus/kv/install_bench_deps.sh"
  etcd_version=$(etcd --version | sed -n 's/^etcd Version: //p')
  [[ $etcd_version == 3.4.* ]] || missing "etcd 3.4 expected, found '$etcd_version'"
  log "building etcd_loadgen (Go, GOPATH mode against /usr/share/gocode)"
  mkdir -p "$KV_BIN/go-cache"
  # No network: GOPATH mode resolves every import from Debian's sources.
  (cd "$REPO/bench/consensus/kv/etcd_loadgen" &&
    bounded 600 env GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOPROXY=off \
      GOCACHE="$KV_BIN/go-cache" go build -o "$KV_BIN/etcd_loadgen" .) >&2 ||
    { log "go build of etcd_loadgen failed"; exit 1; }
fi

# ---------------------------------------------------------------- data dir
if [[ -z $DATA_PARENT ]]; then DATA_PARENT="$BUILD_DIR"; fi
mkdir -p "$DATA_PARENT"
WORK=$(mktemp -d "$DATA_PARENT/kv_bench.XXXXXX")
fstype=$(stat -f -c %T "$WORK")
if [[ $fstype == tmpfs || $fstype == ramfs ]]; then
  echo "run_kv_bench: $WORK is on $fstype; fsync costs nothing there. Use --data-dir on a real disk." >&2
  exit 2
fi
log "data under $WORK ($fstype)"

# ---------------------------------------------------------------- etcd
ETCD_ENDPOINTS=""
start_etcd() {
  local run=$1 i cluster="" names=(e1 e2 e3) cports=() pports=()
  for i in 0 1 2; do
    cports[i]=$(free_port)
    pports[i]=$(free_port)
    cluster+="${cluster:+,}${names[i]}=http://127.0.0.1:${pports[i]}"
  done
  ETCD_ENDPOINTS=""
  for i in 0 1 2; do
    local dir="$WORK/run$run/etcd/${names[i]}"
    mkdir -p "$dir"
    etcd --name "${names[i]}" --data-dir "$dir/data" \
      --listen-client-urls "http://127.0.0.1:${cports[i]}" \
      --advertise-client-urls "http://127.0.0.1:${cports[i]}" \
      --listen-peer-urls "http://127.0.0.1:${pports[i]}" \
      --initial-advertise-peer-urls "http://127.0.0.1:${pports[i]}" \
      --initial-cluster "$cluster" --initial-cluster-state new \
      --initial-cluster-token "kv-bench-$$-$run" \
      --logger zap --log-level warn >"$dir/log" 2>&1 &
    PIDS+=($!)
    ETCD_ENDPOINTS+="${ETCD_ENDPOINTS:+,}127.0.0.1:${cports[i]}"
  done
  local deadline=$((SECONDS + HEALTH_DEADLINE))
  while ((SECONDS < deadline)); do
    for pid in "${PIDS[@]: -3}"; do
      if ! kill -0 "$pid" 2>/dev/null; then
        log "an etcd member exited during startup; its logs:"
        tail -n 20 "$WORK/run$run"/etcd/*/log >&2
        exit 1
      fi
    done
    if bounded 5 etcdctl --endpoints "$ETCD_ENDPOINTS" --command-timeout=2s \
        endpoint health >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.2
  done
  log "etcd cluster not healthy within ${HEALTH_DEADLINE}s; logs:"
  tail -n 20 "$WORK/run$run"/etcd/*/log >&2
  exit 1
}

run_etcd_load() {
  bounded $((WARMUP + DURATION + LOADGEN_SLACK)) "$KV_BIN/etcd_loadgen" \
    -endpoints "$ETCD_ENDPOINTS" -clients "$1" -value-bytes "$VALUE_BYTES" \
    -warmup "${WARMUP}s" -duration "${DURATION}s" -seed "$2"
}

# ---------------------------------------------------------------- cohort
# raft_kv's command line (examples/raft_kv): --id N --peers 1=h:p,2=h:p,3=h:p
# --data DIR --client-port P. Clients talk to the client ports; leader hints
# name member ids, which the load generator maps with id=host:port.
COHORT_ADDRESSES=""
start_cohort() {
  local run=$1 i peers="" pports=() cports=()
  for i in 1 2 3; do
    pports[i]=$(free_port)
    cports[i]=$(free_port)
    peers+="${peers:+,}$i=127.0.0.1:${pports[i]}"
  done
  COHORT_ADDRESSES=""
  local first=${#PIDS[@]}
  for i in 1 2 3; do
    local dir="$WORK/run$run/cohort/m$i"
    mkdir -p "$dir"
    # shellcheck disable=SC2086  # RAFT_KV_ARGS is a list of words
    "$COHORT_SERVER" --id "$i" --peers "$peers" --data "$dir/data" \
      --client-port "${cports[i]}" $RAFT_KV_ARGS >"$dir/log" 2>&1 &
    PIDS+=($!)
    COHORT_ADDRESSES+="${COHORT_ADDRESSES:+,}$i=127.0.0.1:${cports[i]}"
  done
  local deadline=$((SECONDS + HEALTH_DEADLINE))
  while ((SECONDS < deadline)); do
    for pid in "${PIDS[@]:first}"; do
      if ! kill -0 "$pid" 2>/dev/null; then
        log "a raft_kv server exited during startup; its logs:"
        tail -n 20 "$WORK/run$run"/cohort/*/log >&2
        exit 1
      fi
    done
    # One committed put means a leader exists and a quorum fsyncs.
    if bounded 10 "$KV_BIN/raft_kv_loadgen" --servers "$COHORT_ADDRESSES" --probe 2 \
        >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.2
  done
  log "raft_kv cluster did not commit a put within ${HEALTH_DEADLINE}s; logs:"
  tail -n 20 "$WORK/run$run"/cohort/*/log >&2
  exit 1
}

run_cohort_load() {
  bounded $((WARMUP + DURATION + LOADGEN_SLACK)) "$KV_BIN/raft_kv_loadgen" \
    --servers "$COHORT_ADDRESSES" --clients "$1" --value-bytes "$VALUE_BYTES" \
    --warmup "$WARMUP" --duration "$DURATION" --seed "$2"
}

# ---------------------------------------------------------------- runs
# Measured before the clusters start and after they stop, every run: the disk
# is shared, so the spread of these samples shows how far to trust the rest.
fsync_ceiling() {
  log "run $1: fsync ceiling ($2)"
  local fs
  fs=$(bounded $((FSYNC_SECONDS + 60)) "$KV_BIN/kv_fsync_ceiling" --dir "$WORK/run$1" \
    --seconds "$FSYNC_SECONDS" --bytes "$VALUE_BYTES") || { log "kv_fsync_ceiling failed"; exit 1; }
  echo "{\"run\":$1,\"when\":\"$2\",${fs#\{}" >>"$RESULTS"
}

# A run in which no put succeeded, or puts failed, is not a measurement.
check_result() {
  local puts errors
  puts=$(field "$2" puts)
  errors=$(field "$2" errors)
  if [[ -z $puts || $puts == 0 || $errors != 0 ]]; then
    log "$1: $2"
    log "$1: $errors failed puts, $puts succeeded: not a valid measurement"
    exit 1
  fi
}

RESULTS="$WORK/results.jsonl"
: >"$RESULTS"
# The machine may be shared: its load average beside the numbers says how
# much they are worth (a load above the core count starves the clusters).
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for ((run = 1; run <= RUNS; run++)); do
  mkdir -p "$WORK/run$run"
  fsync_ceiling "$run" before

  cluster_start=${#PIDS[@]}
  if ((RUN_ETCD)); then log "run $run: starting etcd"; start_etcd "$run"; fi
  if ((RUN_COHORT)); then log "run $run: starting raft_kv"; start_cohort "$run"; fi
  for c in $CLIENTS; do
    seed=$((run * 1000 + c))
    if ((RUN_ETCD)); then
      log "run $run: etcd, $c clients"
      r=$(run_etcd_load "$c" "$seed") || { log "etcd_loadgen failed"; exit 1; }
      check_result etcd "$r"
      echo "{\"run\":$run,${r#\{}" >>"$RESULTS"
      log "  $r"
    fi
    if ((RUN_COHORT)); then
      log "run $run: cohort, $c clients"
      r=$(run_cohort_load "$c" "$seed") || { log "raft_kv_loadgen failed"; exit 1; }
      check_result cohort "$r"
      echo "{\"run\":$run,${r#\{}" >>"$RESULTS"
      log "  $r"
    fi
  done
  stop_from "$cluster_start"
  fsync_ceiling "$run" after
done

# ---------------------------------------------------------------- report
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
# med TARGET CLIENTS FIELD: the median of FIELD over runs (CLIENTS "" for any).
med() {
  awk -v t="$1" -v c="$2" -v f="$3" '
    function get(line, name,   s) {
      if (!match(line, "\"" name "\":\"?[^,\"}]*")) return ""
      s = substr(line, RSTART, RLENGTH)
      sub("^\"" name "\":\"?", "", s)
      return s
    }
    get($0, "target") == t && (c == "" || get($0, "clients") == c) { print get($0, f) }
  ' "$RESULTS" | median
}

fs_med=$(med fsync "" syncs_per_s)
fs_p50=$(med fsync "" p50_us)
targets=()
((RUN_ETCD)) && targets+=(etcd)
((RUN_COHORT)) && targets+=(cohort)

{
  echo "{"
  echo "  \"benchmark\": \"kv_put\", \"value_bytes\": $VALUE_BYTES, \"duration_s\": $DURATION,"
  echo "  \"warmup_s\": $WARMUP, \"runs\": $RUNS, \"data_fs\": \"$fstype\","
  echo "  \"etcd_version\": \"${etcd_version:-}\", \"nproc\": $(nproc), \"raft_kv_args\": \"$RAFT_KV_ARGS\","
  echo "  \"loadavg_before\": \"$LOAD_BEFORE\", \"loadavg_after\": \"$LOAD_AFTER\","
  echo "  \"fsync_ceiling\": {\"syncs_per_s\": $fs_med, \"p50_us\": $fs_p50},"
  echo "  \"results\": ["
  sed 's/^/    /; $!s/$/,/' "$RESULTS"
  echo "  ],"
  echo "  \"medians\": ["
  first=1
  for t in "${targets[@]}"; do
    for c in $CLIENTS; do
      ((first)) || echo ","
      first=0
      printf '    {"target":"%s","clients":%s,"puts_per_s":%s,"p50_us":%s,"p99_us":%s}' \
        "$t" "$c" "$(med "$t" "$c" puts_per_s)" "$(med "$t" "$c" p50_us)" "$(med "$t" "$c" p99_us)"
    done
  done
  echo ""
  echo "  ]"
  echo "}"
} >"$WORK/report.json"

{
  echo ""
  echo "Medians of $RUNS run(s), ${DURATION}s each after ${WARMUP}s warm-up, ${VALUE_BYTES}-byte puts, 3 members on 127.0.0.1, fsync on."
  echo "Disk fsync ceiling (one writer, pwrite+fdatasync of ${VALUE_BYTES} B): ${fs_med} syncs/s, p50 ${fs_p50} us."
  echo "Machine: $(nproc) cores; load average (1/5/15 min) ${LOAD_BEFORE} before, ${LOAD_AFTER} after."
  echo ""
  echo "| clients | etcd puts/s | etcd p50 ms | etcd p99 ms | cohort puts/s | cohort p50 ms | cohort p99 ms | cohort/etcd | puts/s per fsync ceiling (etcd / cohort) | target |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
  for c in $CLIENTS; do
    e_t=null; e_50=null; e_99=null; k_t=null; k_50=null; k_99=null
    if ((RUN_ETCD)); then e_t=$(med etcd "$c" puts_per_s); e_50=$(med etcd "$c" p50_us); e_99=$(med etcd "$c" p99_us); fi
    if ((RUN_COHORT)); then k_t=$(med cohort "$c" puts_per_s); k_50=$(med cohort "$c" p50_us); k_99=$(med cohort "$c" p99_us); fi
    awk -v c="$c" -v et="$e_t" -v e50="$e_50" -v e99="$e_99" -v kt="$k_t" -v k50="$k_50" \
        -v k99="$k_99" -v fs="$fs_med" 'function num(x) { return x != "null" && x != "" }
      function ms(x) { return num(x) ? sprintf("%.2f", x / 1000) : "-" }
      function rate(x) { return num(x) ? sprintf("%.0f", x) : "-" }
      BEGIN {
        ratio = (num(et) && num(kt) && et > 0) ? sprintf("%.2fx", kt / et) : "-"
        ceil = sprintf("%s / %s", num(et) && fs > 0 ? sprintf("%.1f", et / fs) : "-",
                       num(kt) && fs > 0 ? sprintf("%.1f", kt / fs) : "-")
        target = "-"
        if (num(kt)) {
          if (c == 1) target = (k50 <= 1000) ? "met (p50 <= 1 ms)" : "MISSED (p50 <= 1 ms)"
          else if (num(et)) target = (kt >= 3 * et && k99 <= e99) ? "met (>= 3x, p99 <= etcd)" : "MISSED (>= 3x, p99 <= etcd)"
        }
        printf "| %d | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
               c, rate(et), ms(e50), ms(e99), rate(kt), ms(k50), ms(k99), ratio, ceil, target
      }'
  done
  if ((!RUN_COHORT)); then echo ""; echo "(cohort side not run: --only etcd)"; fi
} >"$WORK/report.md"

cat "$WORK/report.json" "$WORK/report.md"
if [[ -n $OUT ]]; then cp "$WORK/report.json" "$OUT"; cp "$WORK/report.md" "${OUT%.json}.md"; fi
