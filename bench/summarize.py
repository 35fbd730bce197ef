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

import layers  # bench/layers.py, beside this file

PACED = "counter at a tap a second"
NOT_MEASURED = "not measured (no requests counted)"

# Issue 18's goals, each a ratio to the ceiling in the same run or a time at a realistic pace.
GOAL_ONE_CLIENT_RATIO = 2.5  # a tap's one-client p50 ≤ 2.5 × the ceiling's
GOAL_SHARE = 0.35  # a counter phase flat out ≥ 35 % of the ceiling's requests a second
GOAL_P99_MS = 25.0  # every counter step at a tap a second per tablet
GOAL_REPORT_P50_MS = 50.0  # the daily report, one manager beside the paced tablets
GOAL_REPORT_GROWTH = 1.5
GOAL_FIRST_LOAD_GZIP = 40 * 1024
GOAL_FRAGMENT = 5 * 1024
GOAL_IMPORT_SECONDS = 10.0  # bench/catalog_import.py's BOUND_SECONDS
KIOSK_FIRST_LOAD = "counter, empty cart (kiosk first load)"

# (the tap, its one-client probe, its request in the paced phase, its hotpath.py path)
TAPS = (
    ("scan", "scan", "paced: scan", "scan-only"),
    ("remove line", "remove line", "paced: remove line", "remove"),
    ("age check", "age check", "paced: age check", "age-check"),
    ("complete", "complete", "paced: complete", "complete-only"),
    ("receipt", "receipt", "paced: receipt", "receipt"),
)
REPORT_PATH = "report"
PATH_NAMES = {path: tap for tap, _probe, _paced, path in TAPS} | {REPORT_PATH: "daily report"}
# (a counter phase flat out, the taps it sends, the hotpath.py paths of those taps)
COUNTER_PHASES = (
    ("scan", "scan + remove line", ("scan-only", "remove")),
    ("age check", "age check", ("age-check",)),
    ("complete", "scan + age check + complete", ("scan-only", "age-check", "complete-only")),
    ("receipt", "receipt", ("receipt",)),
)
# A load request -> the one-client probe of the same request.
PROBE_OF = (
    {"scan: remove line": "remove line", "complete: scan": "scan"}
    | {
        "complete: age check": "age check",
        "paced: manager report": "manager report",
    }
    | {paced: probe for _tap, probe, paced, _path in TAPS}
)


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
                    "settle": phase["measure_from"] - phase["start"],
                }
            )
    return rows


def generation(text: str) -> str:
    found = re.search(r"Demo loaded: (.*) in ([\d.]+) s", text)
    return f"{found.group(2)} s ({found.group(1)})" if found else "?"


def fmt(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None or value != value else f"{value:.{digits}f}"  # NaN check


def verdict(met: bool) -> str:
    return f"**{'met' if met else 'missed'}**"


class Goals:
    """The goal lines of a run, and which requests a missed goal asks to explain by layer."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        # database -> hotpath.py path -> the goals it missed ("one client", ...)
        self.missed: dict[str, dict[str, list[str]]] = {}

    def check(
        self, text: str, met: bool | None, database: str = "", paths: tuple = (), kind: str = ""
    ) -> None:
        """One goal: ``met`` None means it was not measured, which is neither."""
        if met is None:
            self.lines.append(f"- {text}: not measured")
            return
        self.lines.append(f"- {text}: {verdict(met)}")
        if not met and database:
            for path in paths:
                kinds = self.missed.setdefault(database, {}).setdefault(path, [])
                if kind not in kinds:
                    kinds.append(kind)


def flood_table(rows: list[dict[str, Any]], probes: dict[str, Any], cpu: list[dict[str, Any]]):
    ceiling = next((r for r in rows if r["name"] == "ceiling"), None)
    ceiling_rps = ceiling["rps"] if ceiling else 0.0
    lines = [
        "| hot path | requests | req/s | phase req/s | × ceiling | p50 ms | p95 ms | p99 ms "
        "| errors | 1 client p50 ms | CPU bench / pg / other / idle % | load1 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for row in rows:
        paced = row["phase"] == PACED
        share = row["phase_rps"] / ceiling_rps if ceiling_rps and not paced else None
        single = probes.get(PROBE_OF.get(row["name"], row["name"]), {}).get("p50")
        c = cpu_share(cpu, row["start"], row["end"])
        machine = (
            f"{c['bench']:.0f} / {c['postgres']:.0f} / {c['other']:.0f} / {c['idle']:.0f} "
            f"| {fmt(c['load1'], 2)}"
        )
        if not row["n"]:
            lines.append(
                f"| {row['name']} | 0 | {NOT_MEASURED} | | | | | | {row['errors']} "
                f"| {fmt(single)} | {machine} |"
            )
            continue
        lines.append(
            f"| {row['name']} | {row['n']} | {fmt(row['rps'])} | {fmt(row['phase_rps'])} "
            f"| {fmt(share, 2)} | {fmt(row['p50'])} | {fmt(row['p95'])} | {fmt(row['p99'])} "
            f"| {row['errors']} | {fmt(single)} | {machine} |"
        )
    return lines


def database_section(out: Path, database: str, cpu: list[dict[str, Any]], goals: Goals) -> str:
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
    probes = measure.get("probes", {})
    one_client_goals(database, probes, goals)
    if run is None:
        lines += ["No load results.", ""]
    else:
        rows = phase_rows(run)
        lines += load_part(run, rows, probes, cpu, database, goals)
    report = probes.get("manager report", {})
    small = baseline["probes"].get("manager report", {})
    lines += [
        "",
        "Manager's daily report (GET /manager/?day=...), one client at a time, the two data",
        "sets taking turns request by request:",
        "",
        "| data set | sales rows | p50 ms | p95 ms |",
        "| --- | ---: | ---: | ---: |",
        f"| 30 days | {baseline['rows'].get('sale', '?')} | {fmt(small.get('p50'))} "
        f"| {fmt(small.get('p95'))} |",
        f"| bench set | {fixtures.get('rows', {}).get('sale', '?')} | {fmt(report.get('p50'))} "
        f"| {fmt(report.get('p95'))} |",
    ]
    if report.get("n"):
        goals.check(
            f"{database}, daily report, one client: p50 {report['p50']:.1f} ms "
            f"(goal ≤ {GOAL_REPORT_P50_MS:.0f} ms)",
            report["p50"] <= GOAL_REPORT_P50_MS,
            database,
            (REPORT_PATH,),
            "one client",
        )
    else:
        goals.check(f"{database}, daily report, one client", None)
    if report.get("n") and small.get("n") and small["p50"]:
        growth = report["p50"] / small["p50"]
        goals.check(
            f"{database}, daily report, bench set / 30-day set: {growth:.2f}× "
            f"(goal ≤ {GOAL_REPORT_GROWTH}×)",
            growth <= GOAL_REPORT_GROWTH,
        )
    else:
        goals.check(f"{database}, daily report, bench set / 30-day set", None)
    if probes:
        ceiling = probes.get("ceiling", {}).get("p50")
        lines += [
            "",
            "One client at a time (service time without queueing; each tap on its own, what it",
            "needs first sent but not timed; the ceiling timed after every probe, in turns):",
            "",
            "| request | n | p50 ms | p95 ms | p99 ms | p50 × ceiling |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for name, p in probes.items():
            if not p.get("n"):
                lines.append(f"| {name} | 0 | {NOT_MEASURED} | | | |")
                continue
            ratio = p["p50"] / ceiling if ceiling else None
            lines.append(
                f"| {name} | {p['n']} | {fmt(p['p50'])} | {fmt(p['p95'])} | {fmt(p['p99'])} "
                f"| {fmt(ratio, 2)} |"
            )
    return "\n".join([*lines, ""])


def one_client_goals(database: str, probes: dict[str, Any], goals: Goals) -> None:
    """Each tap's one-client p50 against the ceiling's, timed in turns in the same run."""
    ceiling = probes.get("ceiling", {})
    for tap, probe, _paced, path in TAPS:
        timed = probes.get(probe, {})
        text = f"{database}, one client, {tap}"
        if not timed.get("n") or not ceiling.get("n"):
            goals.check(text, None)
            continue
        ratio = timed["p50"] / ceiling["p50"]
        goals.check(
            f"{text}: p50 {timed['p50']:.1f} ms, {ratio:.1f}× the ceiling's "
            f"{ceiling['p50']:.1f} ms (goal ≤ {GOAL_ONE_CLIENT_RATIO}×)",
            ratio <= GOAL_ONE_CLIENT_RATIO,
            database,
            (path,),
            "one client",
        )


def load_part(
    run: dict[str, Any],
    rows: list[dict[str, Any]],
    probes: dict[str, Any],
    cpu: list[dict[str, Any]],
    database: str,
    goals: Goals,
) -> list[str]:
    """The table of the load's phases, and the goals checked on it."""
    by_name = {row["name"]: row for row in rows}
    ceiling = by_name.get("ceiling")
    flood = next((r for r in rows if r["phase"] != PACED), rows[0])
    paced = next((r for r in rows if r["phase"] == PACED), None)
    lines = [
        f"{run['tablets']} tablets, no think time; each phase measured for "
        f"{flood['end'] - flood['start']:.0f} s after {flood['settle']:.0f} s of settling."
    ]
    if paced:
        lines.append(
            f"At a tap a second (*{PACED}*): each tablet on its own beat, a sale with a change "
            f"of mind (scan, remove, scan, age check, complete, receipt), and one manager "
            f"reading the daily report once a second beside them; measured for "
            f"{paced['end'] - paced['start']:.0f} s after {paced['settle']:.0f} s."
        )
    lines += ["", *flood_table(rows, probes, cpu)]
    for phase, taps, paths in COUNTER_PHASES:
        row = by_name.get(phase)
        text = f"{database}, {run['tablets']} tablets flat out, {phase} phase ({taps})"
        if not row or not row["n"] or not ceiling or not ceiling["n"]:
            goals.check(text, None)
            continue
        share = row["phase_rps"] / ceiling["rps"]
        goals.check(
            f"{text}: {row['phase_rps']:.0f} taps/s, {share:.0%} of the ceiling's "
            f"{ceiling['rps']:.0f} req/s (goal ≥ {GOAL_SHARE:.0%})",
            share >= GOAL_SHARE,
            database,
            paths,
            f"{phase} phase flat out",
        )
    for tap, _probe, name, path in TAPS:
        row = by_name.get(name)
        text = f"{database}, a tap a second per tablet, {tap}"
        if not row or not row["n"]:
            goals.check(text, None)
            continue
        goals.check(
            f"{text}: p99 {row['p99']:.0f} ms over {row['n']} taps (goal ≤ {GOAL_P99_MS:.0f} ms)",
            row["p99"] <= GOAL_P99_MS,
            database,
            (path,),
            "a tap a second",
        )
    report = by_name.get("paced: manager report")
    text = f"{database}, daily report under the counter load (one manager beside them)"
    if not report or not report["n"]:
        goals.check(text, None)
    else:
        goals.check(
            f"{text}: p50 {report['p50']:.1f} ms, p99 {report['p99']:.1f} ms over "
            f"{report['n']} requests (goal p50 ≤ {GOAL_REPORT_P50_MS:.0f} ms)",
            report["p50"] <= GOAL_REPORT_P50_MS,
            database,
            (REPORT_PATH,),
            "under the counter load",
        )
    if run.get("problems"):
        lines += ["", "Problems seen by the load:", ""]
        lines += [f"- {k}: {v}" for k, v in sorted(run["problems"].items())]
    return lines


def layers_section(out: Path, goals: Goals) -> str:
    """Where the time of each request a missed goal names goes, by layer, with the lever."""
    if not goals.missed:
        return ""
    lines = [
        "## Where the remaining time goes",
        "",
        "For each request a missed goal names: `bench/hotpath.py PATH "
        "--layers`, run in-process on the bench set after the load (Flask's test client "
        "in place of gunicorn and the network). cProfile's own time, summed by the layer "
        "that spends it (the standard library counted for the layer that called it), as a "
        "share of the app's time; *ms* is that share of the request's in-process time "
        "without the profiler. The next lever is the largest layer's.",
    ]
    for database, missed in goals.missed.items():
        paths = [path for path in PATH_NAMES if path in missed]  # the taps in the sale's order
        results = {path: load(out / f"{database}-layers-{path}.json") for path in paths}
        measured = {path: r for path, r in results.items() if r}
        lines += ["", f"### {database}", ""]
        if not measured:
            lines += ["Not measured (no layer profiles in this run).", ""]
            continue
        names = [PATH_NAMES.get(path, path) for path in measured]
        lines += [
            "| layer | " + " | ".join(names) + " |",
            "| --- |" + " ---: |" * len(names),
        ]
        shares = {path: layers.shares(r["layers"]) for path, r in measured.items()}
        for key, label, _lever in layers.LAYERS:
            cells = [
                f"{shares[path][key]:.0%} · {shares[path][key] * r['ms_plain']:.2f}"
                for path, r in measured.items()
            ]
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
        lines.append(
            "| **ms a request in-process** (under cProfile) | "
            + " | ".join(f"{r['ms_plain']:.2f} ({r['ms_profiled']:.1f})" for r in measured.values())
            + " |"
        )
        lines.append("")
        for path in paths:
            name = f"{PATH_NAMES.get(path, path)} (missed: {', '.join(missed[path])})"
            result = results[path]
            if not result:
                lines.append(f"- {name}: not measured (no layer profile in this run)")
                continue
            key = layers.largest(result["layers"])
            if key:
                lines.append(
                    f"- {name}: next lever, {layers.LABEL[key]} ({shares[path][key]:.0%}): "
                    f"{layers.LEVER[key]}"
                )
    return "\n".join([*lines, ""])


def pages_section(measure: dict[str, Any], goals: Goals) -> str:
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
        goals.check(
            f"kiosk first load: {first['wire'] / 1024:.1f} KB sent (goal ≤ 40 KB gzipped)",
            first["wire"] <= GOAL_FIRST_LOAD_GZIP,
        )
    lines += ["", "| HTMX fragment | bytes | bytes sent |", "| --- | ---: | ---: |"]
    for name, size in pages["fragments"].items():
        lines.append(f"| {name} | {size['bytes']} | {size['wire']} |")
        if "CSV" not in name:
            goals.lines.append(
                f"- fragment {name}: {size['wire']} B sent, {size['bytes']} B decoded "
                f"(goal ≤ 5 KB): {verdict(size['wire'] <= GOAL_FRAGMENT)} as sent, "
                f"{verdict(size['bytes'] <= GOAL_FRAGMENT)} decoded"
            )
    return "\n".join([*lines, ""])


GOAL_INTAKE_P99_MS = 50.0


def intake_section(out: Path, goals: Goals) -> str:
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
        if not waited:
            goals.check(f"{database}, intake", None)
            continue
        goals.check(
            f"{database}, intake: {len(answers)} scans at {run['rate']:g}/s, {run['lost']} "
            f"lost (goal 0), p99 {pct(waited, 99):.1f} ms from the scan (goal ≤ 50 ms)",
            run["lost"] == 0 and pct(waited, 99) <= GOAL_INTAKE_P99_MS,
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
    goals = Goals()
    section = intake_section(out, goals)
    if not section:
        return ""
    return "\n".join([f"# Intake run {out.name}", "", *machine(out), "", section, *goals.lines, ""])


def catalog_section(out: Path, goals: Goals) -> str:
    """The catalog import phase (bench/catalog_import.py): 5,000 products through the app."""
    runs = load(out / "catalog-import.json")
    if not runs:
        return ""
    lines = [
        "## Catalog import",
        "",
        "An admin previews and imports a 5,000-product catalog file through the app, then the "
        "same file with every price changed (the bound: each import under "
        f"{GOAL_IMPORT_SECONDS:.0f} s).",
        "",
        "| database | products | preview (new) | import (new) | preview (all changed) "
        "| import (all changed) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in runs:
        lines.append(
            f"| {r['database']} | {r['products']:,} | {r['new']['preview_s']} s "
            f"| {r['new']['import_s']} s | {r['changed']['preview_s']} s "
            f"| {r['changed']['import_s']} s |"
        )
        slowest = max(r["new"]["import_s"], r["changed"]["import_s"])
        right = r["second_file_applied"] and r["rows"]["product"] == r["products"]
        goals.check(
            f"{r['database']}, catalog import of {r['products']:,} products: slowest import "
            f"{slowest:.2f} s (goal < {GOAL_IMPORT_SECONDS:.0f} s), "
            f"{'every row written' if right else 'rows missing or wrong'}",
            slowest < GOAL_IMPORT_SECONDS and right,
        )
    return "\n".join([*lines, ""])


def summary(out: Path) -> str:
    cpu = [json.loads(line) for line in (out / "cpu.jsonl").read_text().splitlines() if line]
    goals = Goals()
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
    parts.append(catalog_section(out, goals))
    parts += ["## Goals", "", *goals.lines, "", layers_section(out, goals)]
    return "\n".join(part for part in parts if part is not None)


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
