"""Who used the machine's CPU while the bench ran: the bench itself, PostgreSQL, the rest.

``python bench/sampler.py OUT.jsonl ROOT_PID`` samples /proc every second until ROOT_PID
(bench/run.sh) is gone, and appends one JSON line per sample with the CPU time (in clock
ticks) each group used since the previous one. "bench" is ROOT_PID and everything it
started (gunicorn, Locust, the measurements); "postgres" is every PostgreSQL process;
"other" is everything else on the machine (other people's tests, for example).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path


def _processes() -> dict[int, tuple[str, int, int]]:
    """pid -> (command, parent pid, CPU ticks used so far)."""
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue  # gone in the meantime
        command = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        found[int(entry)] = (command, int(fields[1]), int(fields[11]) + int(fields[12]))
    return found


def _machine() -> tuple[int, int]:
    """(busy, total) CPU ticks of the whole machine so far."""
    ticks = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return sum(ticks) - idle, sum(ticks)


def _group(pid: int, procs: dict[int, tuple[str, int, int]], root: int) -> str:
    command = procs[pid][0]
    if command.startswith("postgres"):
        return "postgres"
    seen = 0
    while pid > 1 and seen < 64:
        if pid == root:
            return "bench"
        pid = procs.get(pid, ("", 0, 0))[1]
        seen += 1
    return "other"


def main(out: Path, root: int) -> None:
    before = _processes()
    busy_before, total_before = _machine()
    with out.open("a") as sink:
        while Path(f"/proc/{root}").exists():
            time.sleep(1.0)
            now = _processes()
            busy, total = _machine()
            used = {"bench": 0, "postgres": 0, "other": 0}
            for pid, (_command, _parent, ticks) in now.items():
                earlier = before.get(pid)
                delta = ticks - earlier[2] if earlier else ticks
                used[_group(pid, now, root)] += max(0, delta)
            sink.write(
                json.dumps(
                    {
                        "t": time.time(),
                        "load1": float(Path("/proc/loadavg").read_text().split()[0]),
                        "busy": busy - busy_before,
                        "total": total - total_before,
                        **used,
                    }
                )
                + "\n"
            )
            sink.flush()
            before, busy_before, total_before = now, busy, total


if __name__ == "__main__":
    main(Path(sys.argv[1]), int(sys.argv[2]))
