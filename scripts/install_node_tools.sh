#!/usr/bin/env bash
# Installs the Node.js tools pinned in tools/node/package-lock.json: s3rver
# (the S3-compatible server the blob tests start) and the AWS SDK for
# JavaScript (interop checks and the upload benchmark).
#
# Idempotent: when node_modules was installed from the current lock file it
# does nothing, so scripts/setup.sh can call it every time.
#
#   scripts/install_node_tools.sh [--force]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${root}/tools/node"
stamp="${dir}/node_modules/.cohort-lock.sha256"

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "install_node_tools: node and npm are required (apt-get install nodejs npm)" >&2
  exit 1
fi
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "${node_major}" -lt 18 ]; then
  echo "install_node_tools: Node.js >= 18 is required, found $(node --version)" >&2
  exit 1
fi

lock_sum="$(sha256sum "${dir}/package-lock.json" | cut -d' ' -f1)"
if [ "${1:-}" != "--force" ] && [ -f "${stamp}" ] && [ "$(cat "${stamp}")" = "${lock_sum}" ] &&
   [ -x "${dir}/node_modules/.bin/s3rver" ]; then
  echo "install_node_tools: node_modules matches package-lock.json; nothing to do"
  exit 0
fi

cd "${dir}"
# `npm ci` installs exactly the lock file (and fails if package.json
# disagrees with it); no install scripts are needed by these packages.
npm ci --no-audit --no-fund --ignore-scripts
echo "${lock_sum}" > "${stamp}"
version="$(node -p 'require("s3rver/package.json").version' 2>/dev/null || echo '?')"
echo "install_node_tools: installed s3rver ${version} and the AWS SDK into ${dir}/node_modules"
