"""Issue 3 figure: cold start of `berth server` to the first `/readyz` 200.

Measured from just before the process is spawned to the first 200 (probing every 5 ms,
a new TLS connection per probe), for a fresh data dir (certificates and tokens generated,
store created) and for a restart on an existing one, each with `--node-mode none` and
`--node-mode simulated`. The median of several runs is the figure; the time from SIGTERM
to exit is reported too. The server's own `startup_ms` (logged at "berth is ready")
separates process work from the probe's.

Usage: .venv/bin/python bench/startup.py [--runs N]
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402

STARTUP_MS = re.compile(r"startup_ms=(\d+)")


def logged_startup_ms(berth: common.Berth) -> int | None:
    found = STARTUP_MS.findall(berth.log_path.read_text(errors="replace"))
    return int(found[-1]) if found else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()

    rows = [
        ("date", time.strftime("%Y-%m-%d %H:%M:%S %Z")),
        ("machine", common.machine_summary()),
        ("berth commit", common.berth_commit()),
    ]
    work = common.workdir("startup")
    try:
        for node_mode in ("none", "simulated"):
            fresh, restart, logged_fresh, logged_restart, stops = [], [], [], [], []
            for run in range(args.runs):
                berth = common.Berth(work / f"{node_mode}-{run}", node_mode=node_mode)
                spawned = berth.spawn()
                fresh.append(berth.wait_ready() - spawned)
                logged_fresh.append(logged_startup_ms(berth))
                stops.append(berth.stop())
                spawned = berth.spawn()
                restart.append(berth.wait_ready() - spawned)
                logged_restart.append(logged_startup_ms(berth))
                stops.append(berth.stop())
                print(f"{node_mode} run {run}: fresh {common.ms(fresh[-1])}, "
                      f"restart {common.ms(restart[-1])}", flush=True)
            for label, times, logged in (("fresh data dir", fresh, logged_fresh),
                                         ("restart, existing dir", restart, logged_restart)):
                med = common.median(times)
                known = [v for v in logged if v is not None]
                rows.append((f"--node-mode {node_mode}, {label}: median / max",
                             f"{common.ms(med)} / {common.ms(max(times))}  "
                             f"(goal <= 1 s: {common.goal(med <= 1.0)}; server-logged startup_ms "
                             f"median {common.median(known) if known else 'n/a'})"))
            rows.append((f"--node-mode {node_mode}: SIGTERM to exit, median / max",
                         f"{common.ms(common.median(stops))} / {common.ms(max(stops))}"))
        rows.append(("runs per case", str(args.runs)))
        common.print_block("Cold start to /readyz", rows)
    finally:
        common.remove_tree(work)


if __name__ == "__main__":
    main()
