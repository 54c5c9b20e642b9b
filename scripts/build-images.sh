#!/usr/bin/env bash
# Builds lem's local images with no registry: a minimal Debian root with python3 (debootstrap piped into
# `docker import`), then the synthetic backend image on top of it. The GPU backends' images (docker/<backend>/)
# start from their vendors' images and are built by users on GPU machines: `docker build -t lem/vllm docker/vllm`.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE_IMAGE=${LEM_BASE_IMAGE:-lem/debian-python:bookworm}
MIRROR=${LEM_DEBIAN_MIRROR:-}
if [[ -z "$MIRROR" ]]; then
  # The machine's own apt mirror: the only one reachable here.
  MIRROR=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  MIRROR=${MIRROR:-http://deb.debian.org/debian}
fi

if ! docker image inspect "$BASE_IMAGE" >/dev/null 2>&1; then
  command -v debootstrap >/dev/null || { echo "debootstrap is required (apt-get install debootstrap)" >&2; exit 1; }
  root=$(mktemp -d /tmp/lem-rootfs.XXXXXX)
  trap 'rm -rf "$root"' EXIT
  echo "building $BASE_IMAGE from $MIRROR (debootstrap, ~40 s)"
  debootstrap --variant=minbase --include=python3 bookworm "$root" "$MIRROR" >/tmp/lem-debootstrap.log 2>&1 \
    || { tail -20 /tmp/lem-debootstrap.log >&2; exit 1; }
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/*
  tar -C "$root" -c . | docker import -c 'CMD ["/bin/bash"]' - "$BASE_IMAGE" >/dev/null
  echo "built $BASE_IMAGE"
fi

docker build -q -t lem/synthetic:latest --build-arg BASE_IMAGE="$BASE_IMAGE" docker/synthetic >/dev/null
echo "built lem/synthetic:latest"
