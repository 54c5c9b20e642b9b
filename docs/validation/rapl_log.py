"""Logs the host's RAPL energy counters every 100 ms as lem's generic meter CSV (timestamp,domain,joules), until
SIGTERM; used by run_meters_crosscheck.sh beside the harness.

usage: python3 rapl_log.py <powercap root> <out.csv> <status.json>

The counters (energy_uj) wrap at max_energy_range_uj; the log writes the unwrapped cumulative joules so that
lem's generic CSV import (a counter column) can take the window's delta. What was found (zones, readable or
not, and why) goes to status.json: a VM often exposes no powercap tree, or one that only root can read.
"""

from __future__ import annotations

import json
import re
import signal
import sys
import time
from pathlib import Path


ZONE = re.compile(r"^intel-rapl(?:-mmio)?:(\d+)(?::(\d+))?$")


def zones(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if ZONE.match(p.name)) if root.is_dir() else []


def domain_of(zone: Path) -> str:
    """The same names as lem's RAPL reader (src/meters/rapl.ts): cpu:package-0, cpu:core-0, dram:0, platform."""
    name = (zone / "name").read_text().strip()
    pkg = ZONE.match(zone.name).group(1)
    if re.fullmatch(r"package-\d+", name):
        return f"cpu:{name}"
    if name == "dram":
        return f"dram:{pkg}"
    return "platform" if name == "psys" else f"cpu:{name}-{pkg}"


def main() -> int:
    root, out, status_path = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    found = zones(root)
    status: dict = {"root": str(root), "root_exists": root.is_dir(), "zones": []}
    readable: list[tuple[Path, str, int]] = []
    for z in found:
        entry = {"zone": z.name}
        try:
            entry["domain"] = domain_of(z)
            int((z / "energy_uj").read_text())
            max_uj = int((z / "max_energy_range_uj").read_text())
            readable.append((z, entry["domain"], max_uj))
            entry["readable"] = True
        except OSError as e:
            entry.update(readable=False, error=f"{type(e).__name__}: {e}")
        status["zones"].append(entry)
    status["readable"] = len(readable)
    status_path.write_text(json.dumps(status, indent=1))
    if not readable:
        return 0
    stop = False

    def on_term(*_):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, on_term)
    last = {z: None for z, _, _ in readable}
    total = {z: 0 for z, _, _ in readable}
    with out.open("w") as f:
        f.write("timestamp,domain,joules\n")
        while not stop:
            t = time.time()
            for z, domain, max_uj in readable:
                uj = int((z / "energy_uj").read_text())
                if last[z] is not None:
                    total[z] += uj - last[z] if uj >= last[z] else uj + max_uj + 1 - last[z]
                last[z] = uj
                f.write(f"{t:.6f},{domain},{total[z] / 1e6:.6f}\n")
            f.flush()
            time.sleep(max(0.0, 0.1 - (time.time() - t)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
