#!/usr/bin/env bash
# Runs the harness's pytest suite with a Python that has pytest and jsonschema, preferring Debian's
# /usr/bin/python3 (what scripts/setup.sh provisions) over whatever `python3` a PATH puts first, so that a
# machine's pyenv does not hide a missing install step.
set -euo pipefail
cd "$(dirname "$0")/.."
for py in /usr/bin/python3 python3; do
  if command -v "$py" >/dev/null && "$py" -c 'import pytest, jsonschema' 2>/dev/null; then
    exec "$py" -m pytest -q docker/harness/tests "$@"
  fi
done
echo "npm test: no python3 with pytest and jsonschema found; install them with: bash scripts/setup.sh" \
  "(or apt-get install python3-pytest python3-jsonschema)" >&2
exit 1
