"""Turn one run's raw results (bench/results/<time>/) into Markdown tables and goal checks.

``python bench/summarize.py bench/results/<time> [--publish docs/BENCHMARKS.md]``: prints
the summary; ``--publish`` also puts it into that file between its two marker lines,
leaving the written analysis around them as it is. Percentiles are exact (nearest rank
over every request that started in the measured part of its phase); requests per second
are those requests divided by the measured seconds.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

COUNTER_PATHS = ("scan", "scan: remove line", "age check", "complete", "receipt")
PACED = "counter at a tap a second"
GOAL_SHARE = 0.5
GOAL_P99_MS = 25.0
GOAL_REPORT_P50_MS = 50.0
GOAL_REPORT_GROWTH = 1.5
GOAL_FIRST_LOAD_GZIP = 40 * 1024
GOAL_FRAGMENT = 5 * 1024
KIOSK_FIRST_LOAD = "counter, empty cart (kiosk first load)"


def pct(ordered: list[float], p: float) -> float:
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * p // 100))  # nearest rank
    return ordered[int(rank) - 1]


def load(path: Path) -> Any:
    return json.loads(path.read_text()) if path.exists() else None


def cpu_share(samples: list[dict[str, Any]], start: float, end: float) -> dict[str, float]:
    inside = [s for s in samples if start < s["t"] <= end + 1]
    total = sum(s["total"] for s in inside) or 1
    share = {k: 100 * sum(s[k] for s in inside) / total for k in ("bench", "postgres", "other")}
    share["idle"] = 100 - 100 * sum(s["busy"] for s in inside) / total
    share["load1"] = max((s["load1"] for s in inside), default=float("nan"))
    return share


def phase_rows(run: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for phase in run["phases"]:
        window = max(phase["end"] - phase["measure_from"], 1e-9)
        wanted = set(phase["requests"])
        taken: dict[str, list[tuple[float, bool]]] = {name: [] for name in phase["requests"]}
        for name, start, ms, ok, _length in run["samples"]:
            if name in wanted and phase["measure_from"] <= start < phase["end"]:
                taken[name].append((ms, ok))
        for name in phase["requests"]:
            times = sorted(ms for ms, _ok in taken[name])
            rows.append(
                {
                    "phase": phase["name"],
                    "name": name,
                    "n": len(times),
                    "errors": sum(1 for _ms, ok in taken[name] if not ok),
                    "rps": len(times) / window,
                    "phase_rps": sum(len(v) for v in taken.values()) / window,
                    "mean": sum(times) / len(times) if times else float("nan"),
                    "p50": pct(times, 50),
                    "p95": pct(times, 95),
                    "p99": pct(times, 99),
                    "start": phase["measure_from"],
                    "end": phase["end"],
                }
            )
    return rows


def generation(text: str) -> str:
    found = re.search(r"Demo loaded: (.*) in ([\d.]+) s", text)
    return f"{found.group(2)} s ({found.group(1)})" if found else "?"


def fmt(value: float, digits: int = 1) -> str:
    return "n/a" if value != value else f"{value:.{digits}f}"  # NaN check


def database_section(out: Path, database: str, cpu: list[dict[str, Any]], goals: list[str]) -> str:
    run = load(out / f"{database}-samples.json")
    measure = load(out / f"{database}-measure.json") or {}
    baseline = {
        "rows": measure.get("baseline_rows", {}),
        "probes": measure.get("baseline_probes", {}),
    }
    fixtures = load(out / f"{database}-fixtures.json") or {}
    lines = [f"## {database}", ""]
    demo = out / f"{database}-demo.txt"
    if demo.exists():
        lines += [f"Data set generated in {generation(demo.read_text())}.", ""]
    if run is None:
        return "\n".join([*lines, "No load results.", ""])
    rows = phase_rows(run)
    ceiling = next(r for r in rows if r["name"] == "ceiling")
    probes = measure.get("probes", {})
    settle = rows[0]["start"] - run["phases"][0]["start"]
    lines += [
        f"{run['tablets']} tablets, no think time; each phase measured for "
        f"{ceiling['end'] - ceiling['start']:.0f} s after {settle:.0f} s of settling.",
        "",
        "| hot path | requests | req/s | phase req/s | × ceiling | p50 ms | p95 ms | p99 ms "
        "| errors | 1 client p50 ms | CPU bench / pg / other / idle % | load1 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for row in rows:
        paced = row["phase"] == PACED
        share = row["phase_rps"] / ceiling["rps"] if ceiling["rps"] and not paced else float("nan")
        single = probes.get(row["name"], {}).get("p50", float("nan"))
        if row["name"] == "scan" and "scan + remove line" in probes:
            single = probes["scan + remove line"]["p50"] / 2
        c = cpu_share(cpu, row["start"], row["end"])
        lines.append(
            f"| {row['name']} | {row['n']} | {fmt(row['rps'])} | {fmt(row['phase_rps'])} "
            f"| {fmt(share, 2)} | {fmt(row['p50'])} | {fmt(row['p95'])} | {fmt(row['p99'])} "
            f"| {row['errors']} | {fmt(single)} | {c['bench']:.0f} / {c['postgres']:.0f} / "
            f"{c['other']:.0f} / {c['idle']:.0f} | {fmt(c['load1'], 2)} |"
        )
        if paced:
            goals.append(
                f"- {database}, {row['name']} at one tap a second per tablet: p99 "
                f"{row['p99']:.0f} ms (goal ≤ 25 ms): "
                f"**{'met' if row['p99'] <= GOAL_P99_MS else 'missed'}**"
            )
        if row["name"] in COUNTER_PATHS:
            met = share >= GOAL_SHARE and row["p99"] <= GOAL_P99_MS
            goals.append(
                f"- {database}, {row['name']}: {share:.0%} of the ceiling (goal ≥ 50%), "
                f"p99 {row['p99']:.0f} ms (goal ≤ 25 ms): **{'met' if met else 'missed'}**"
            )
    if run.get("problems"):
        lines += ["", "Problems seen by the load:", ""]
        lines += [f"- {k}: {v}" for k, v in sorted(run["problems"].items())]
    report_rows = [r for r in rows if r["name"] == "manager report"]
    big = probes.get("manager report", {}).get("p50", float("nan"))
    small = baseline.get("probes", {}).get("manager report", {}).get("p50", float("nan"))
    lines += [
        "",
        "Manager's daily report (GET /manager/?day=...), one client at a time, the two data",
        "sets taking turns request by request:",
        "",
        "| data set | sales rows | p50 ms | p95 ms |",
        "| --- | ---: | ---: | ---: |",
        f"| 30 days | {baseline.get('rows', {}).get('sale', '?')} | {fmt(small)} "
        f"| {fmt(baseline.get('probes', {}).get('manager report', {}).get('p95', float('nan')))} |",
        f"| bench set | {fixtures.get('rows', {}).get('sale', '?')} | {fmt(big)} "
        f"| {fmt(probes.get('manager report', {}).get('p95', float('nan')))} |",
    ]
    growth = big / small if small == small and small else float("nan")
    loaded = report_rows[0]["p50"] if report_rows else float("nan")
    goals.append(
        f"- {database}, daily report p50: {big:.1f} ms one client, {loaded:.1f} ms under load "
        f"(goal ≤ 50 ms): **{'met' if big <= GOAL_REPORT_P50_MS else 'missed'}** one client, "
        f"**{'met' if loaded <= GOAL_REPORT_P50_MS else 'missed'}** under load"
    )
    goals.append(
        f"- {database}, daily report big set / 30-day set: {growth:.2f}× (goal ≤ 1.5×): "
        f"**{'met' if growth <= GOAL_REPORT_GROWTH else 'missed'}**"
    )
    if probes:
        lines += [
            "",
            "One client at a time (service time without queueing):",
            "",
            "| request | n | p50 ms | p95 ms | p99 ms |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for name, p in probes.items():
            lines.append(
                f"| {name} | {p['n']} | {fmt(p['p50'])} | {fmt(p['p95'])} | {fmt(p['p99'])} |"
            )
    return "\n".join([*lines, ""])


def pages_section(measure: dict[str, Any], goals: list[str]) -> str:
    pages = measure.get("pages")
    if not pages:
        return ""
    lines = [
        "## Page weight",
        "",
        "First load with an empty cache: the HTML and every stylesheet, script and icon it",
        "references, decoded and as sent (gzip for pages, deflate for static files).",
        "",
        "| screen | bytes | bytes sent | HTML | HTML sent |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for name, screen in pages["screens"].items():
        html = screen["parts"]["html"]
        lines.append(
            f"| {name} | {screen['bytes']} | {screen['wire']} | {html['bytes']} | {html['wire']} |"
        )
    first = pages["screens"].get(KIOSK_FIRST_LOAD)
    if first:
        goals.append(
            f"- kiosk first load: {first['wire'] / 1024:.1f} KB sent (goal ≤ 40 KB gzipped): "
            f"**{'met' if first['wire'] <= GOAL_FIRST_LOAD_GZIP else 'missed'}**"
        )
    lines += ["", "| HTMX fragment | bytes | bytes sent |", "| --- | ---: | ---: |"]
    for name, size in pages["fragments"].items():
        lines.append(f"| {name} | {size['bytes']} | {size['wire']} |")
        if "CSV" not in name:
            goals.append(
                f"- fragment {name}: {size['wire']} B sent, {size['bytes']} B decoded "
                f"(goal ≤ 5 KB): **{'met' if size['wire'] <= GOAL_FRAGMENT else 'missed'}** "
                f"as sent, **{'met' if size['bytes'] <= GOAL_FRAGMENT else 'missed'}** decoded"
            )
    return "\n".join([*lines, ""])


GOAL_INTAKE_P99_MS = 50.0


def intake_section(out: Path, goals: list[str]) -> str:
    """The intake phase (bench/intake.py): one tablet scanning a delivery at scanner speed."""
    runs = {db: load(out / f"{db}-intake.json") for db in ("sqlite", "postgres")}
    runs = {db: run for db, run in runs.items() if run}
    if not runs:
        return ""
    lines = [
        "## Intake phase",
        "",
        "*Answer*: request to answer; *from the scan*: the scan's due moment to its answer.",
        "",
        "| database | scans | rate /s | statuses | lost | answer p50 / p95 / p99 / max ms "
        "| from the scan p99 ms | receive ms | units in stock / received steps |",
        "| --- | ---: | ---: | --- | ---: | --- | ---: | ---: | --- |",
    ]
    for database, run in runs.items():
        answers = sorted(run["answer_ms"])
        waited = sorted(run["from_scan_ms"])
        counted = run["database"]
        statuses = ", ".join(f"{code}: {n}" for code, n in sorted(run["statuses"].items()))
        lines.append(
            f"| {database} | {len(answers)} | {run['rate']:g} | {statuses} | {run['lost']} "
            f"| {fmt(pct(answers, 50))} / {fmt(pct(answers, 95))} / {fmt(pct(answers, 99))} "
            f"/ {fmt(answers[-1])} | {fmt(pct(waited, 99))} | {run['receive_ms']:.0f} "
            f"| {counted['units_in_stock_here']} / {counted['received_steps']} |"
        )
        met = run["lost"] == 0 and pct(waited, 99) <= GOAL_INTAKE_P99_MS
        goals.append(
            f"- {database}, intake: {len(answers)} scans at {run['rate']:g}/s, {run['lost']} "
            f"lost (goal 0), p99 {pct(waited, 99):.1f} ms from the scan (goal ≤ 50 ms): "
            f"**{'met' if met else 'missed'}**"
        )
    return "\n".join([*lines, ""])


PUBLISH_START = "<!-- bench:start -->"
PUBLISH_END = "<!-- bench:end -->"
INTAKE_START = "<!-- bench-intake:start -->"
INTAKE_END = "<!-- bench-intake:end -->"


def machine(out: Path) -> list[str]:
    return ["```", (out / "machine.txt").read_text().strip(), "```"]


def intake_summary(out: Path) -> str:
    """The intake phase alone, with the machine it ran on: its own part of BENCHMARKS.md."""
    goals: list[str] = []
    section = intake_section(out, goals)
    if not section:
        return ""
    return "\n".join([f"# Intake run {out.name}", "", *machine(out), "", section, *goals, ""])


def summary(out: Path) -> str:
    cpu = [json.loads(line) for line in (out / "cpu.jsonl").read_text().splitlines() if line]
    goals: list[str] = []
    parts = ["# Bench run " + out.name, "", *machine(out)]
    fixtures = {db: load(out / f"{db}-fixtures.json") for db in ("sqlite", "postgres")}
    rows = next((f["rows"] for f in fixtures.values() if f), {})
    if rows:
        parts += ["", "Rows in the bench set:", "", "| table | rows |", "| --- | ---: |"]
        parts += [f"| {table} | {n} |" for table, n in rows.items() if n]
    parts.append("")
    for database in ("sqlite", "postgres"):
        if (out / f"{database}-demo.txt").exists():
            parts.append(database_section(out, database, cpu, goals))
    for database in ("sqlite", "postgres"):
        measure = load(out / f"{database}-measure.json")
        if measure and measure.get("pages"):
            parts.append(pages_section(measure, goals))
            break
    parts += ["## Goals", "", *goals, ""]
    return "\n".join(parts)


def publish(
    text: str, document: Path, markers: tuple[str, str] = (PUBLISH_START, PUBLISH_END)
) -> None:
    """Replace what lies between the markers; one heading level down, under the page's own."""
    page = document.read_text()
    start_mark, end_mark = markers
    start, end = page.find(start_mark), page.find(end_mark)
    if start < 0 or end < start:
        raise SystemExit(f"summarize: {document} lacks the {start_mark} / {end_mark} lines")
    body = "\n".join("#" + line if line.startswith("#") else line for line in text.splitlines())
    note = "<!-- Written by `make bench` (summarize.py --publish): edit outside the markers. -->"
    document.write_text(
        page[: start + len(start_mark)] + f"\n{note}\n\n{body.strip()}\n\n" + page[end:]
    )


def main() -> None:
    """A full run publishes both parts; an intake run (``make bench-intake``) only its own."""
    out = Path(sys.argv[1])
    text = "" if (out / "intake-only").exists() else summary(out)
    intake = intake_summary(out)
    print("\n".join(part for part in (text, intake) if part))
    if len(sys.argv) == 4 and sys.argv[2] == "--publish":
        if text:
            publish(text, Path(sys.argv[3]))
        if intake:
            publish(intake, Path(sys.argv[3]), (INTAKE_START, INTAKE_END))


if __name__ == "__main__":
    main()
