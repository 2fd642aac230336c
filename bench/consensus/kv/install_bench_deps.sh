#!/usr/bin/env bash
# Installs what the KV benchmark (run_kv_bench.sh) needs on Debian 12 to run
# etcd 3.4 beside cohort's raft_kv: the etcd server and client, and the Go
# toolchain with Debian's etcd Go sources (clientv3 and everything it imports,
# under /usr/share/gocode) so that the etcd load generator builds in GOPATH
# mode with no network. Idempotent: a second run installs nothing.
set -euo pipefail

PACKAGES=(
  etcd-server etcd-client      # the peer under test, and etcdctl for health checks
  golang-go                    # builds etcd_loadgen
  golang-etcd-server-dev       # go.etcd.io/etcd/clientv3 sources (GOPATH)
)

missing=()
for pkg in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$pkg")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "install_bench_deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  if command -v sudo >/dev/null; then
    SUDO="sudo"
  else
    echo "install_bench_deps: need root (or sudo) to install: ${missing[*]}" >&2
    exit 1
  fi
fi
echo "install_bench_deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# --no-install-recommends keeps etcd-server from pulling in more than it runs
# with; golang-etcd-server-dev's Depends carry the clientv3 import closure.
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Debian's etcd-server package starts a single-member etcd on 2379/2380 via
# systemd where systemd runs; the benchmark starts its own members on free
# ports, so that service is left alone (it does not disturb the ports chosen).
