#!/usr/bin/env bash
# `make bench`: the kiosk under gunicorn as in production, on SQLite and on PostgreSQL,
# driven by Locust like 16 tablets, next to a minimal Flask app (the ceiling).
# What it measures and the last results: docs/BENCHMARKS.md. Results: bench/results/<time>/.
#
# Settings (environment): BENCH_STORES (10) and BENCH_DAYS (365) size the data set,
# BENCH_SHELF (500) the units of each model on each store's shelf, BENCH_TABLETS (16),
# BENCH_PHASE_SECONDS (20) per hot path, BENCH_PACED_SECONDS (three phases) for the phase at
# a tap a second, BENCH_LAYER_REQUESTS (100) per tap for the in-process layer profiles,
# BENCH_DATABASES ("sqlite postgres"), BENCH_PG_DB (kiosk_bench) the throwaway PostgreSQL
# databases' name. QUICK=1: a small set, short phases and fewer probes, printed but not
# written into docs/BENCHMARKS.md (BENCH_PUBLISH=1 writes it anyway).
# BENCH_ONLY=intake (`make bench-intake`): only the intake phase (one tablet scanning
# BENCH_INTAKE_SERIALS (500) serials at BENCH_INTAKE_RATE (10) a second, then receiving them)
# on a small data set; it writes only its own part of docs/BENCHMARKS.md.
# It talks only to 127.0.0.1, and stops every server it started, also on failure.
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=$PWD/.venv/bin
# QUICK=1: a small set and short phases, to check a change in a few minutes.
if [ -n "${QUICK:-}" ]; then
    : "${BENCH_STORES:=6}" "${BENCH_DAYS:=30}" "${BENCH_PHASE_SECONDS:=4}" "${BENCH_SHELF:=100}"
    : "${BENCH_WARMUP_SECONDS:=3}" "${BENCH_PROBE_REPEATS:=15}" "${BENCH_REPORT_REPEATS:=30}"
    : "${BENCH_INTAKE_SERIALS:=100}" "${BENCH_LAYER_REQUESTS:=40}"
    export BENCH_PROBE_REPEATS BENCH_REPORT_REPEATS
fi
WARMUP=${BENCH_WARMUP_SECONDS:-12}
STORES=${BENCH_STORES:-10}
DAYS=${BENCH_DAYS:-365}
SHELF=${BENCH_SHELF:-500}
TABLETS=${BENCH_TABLETS:-16}
PHASE=${BENCH_PHASE_SECONDS:-20}
# At a tap a second a p99 needs many more seconds than a flood: three phases, 14 s at least
# (two whole paced sales per tablet after the settling).
PACED=${BENCH_PACED_SECONDS:-$("$BIN/python" -c "print(max(3 * $PHASE, 14))")}
DATABASES=${BENCH_DATABASES:-sqlite postgres}
ONLY=${BENCH_ONLY:-}
INTAKE_SERIALS=${BENCH_INTAKE_SERIALS:-500}
INTAKE_RATE=${BENCH_INTAKE_RATE:-10}
PG=postgresql://postgres@127.0.0.1:5432
PG_DB=${BENCH_PG_DB:-kiosk_bench}
LAYER_REQUESTS=${BENCH_LAYER_REQUESTS:-100}
# The taps the goals name, and the report: where each spends its time (bench/hotpath.py).
LAYER_PATHS="scan-only remove age-check complete-only receipt report"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kiosk-bench.XXXXXX")
OUT=bench/results/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$OUT"
PIDS=()
PG_CREATED=
SAMPLER=

say() { printf '\n== %s  (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }

stop() {  # stop the given processes: TERM (gunicorn's master then stops its workers), KILL after 15 s
    local pid
    for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "$@"; do
        for _ in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
}

cleanup() {
    local status=$?
    trap - EXIT INT TERM
    if ((${#PIDS[@]})); then stop "${PIDS[@]}"; fi
    if [[ -n $SAMPLER ]]; then kill "$SAMPLER" 2>/dev/null || true; fi
    if [[ -n $PG_CREATED ]]; then drop_postgres || true; fi
    rm -rf "$WORK"
    exit "$status"
}
trap cleanup EXIT INT TERM

free_port() {
    "$BIN/python" -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"
}

# serve NAME URL_PATH GUNICORN_ARGS...: start gunicorn (the production config) on a free
# port of 127.0.0.1 and wait until URL_PATH answers; sets PORT and SERVED_PID.
serve() {
    local name=$1 path=$2
    shift 2
    PORT=$(free_port)
    KIOSK_BIND=127.0.0.1:$PORT "$BIN/gunicorn" -c gunicorn.conf.py "$@" \
        >"$WORK/$name.log" 2>&1 &
    SERVED_PID=$!
    PIDS+=("$SERVED_PID")
    if "$BIN/python" - "http://127.0.0.1:$PORT$path" "$SERVED_PID" <<'EOF'; then return 0; fi
import os, sys, time, urllib.request
for _ in range(600):
    try:
        urllib.request.urlopen(sys.argv[1], timeout=5)
        sys.exit(0)
    except OSError:
        try:
            os.kill(int(sys.argv[2]), 0)
        except OSError:
            break
        time.sleep(0.1)
sys.exit(1)
EOF
    echo "bench: $name did not start; its log:" >&2
    tail -n 40 "$WORK/$name.log" >&2
    return 1
}

unserve() {  # stop the servers started so far
    if ((${#PIDS[@]})); then stop "${PIDS[@]}"; fi
    PIDS=()
}

drop_postgres() {  # the throwaway PostgreSQL databases, if they exist
    "$BIN/python" - <<EOF
import psycopg2
conn = psycopg2.connect("$PG/postgres")
conn.autocommit = True
for name in ("$PG_DB", "${PG_DB}_30d"):
    conn.cursor().execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
EOF
}

# fresh_database DB SUFFIX: an empty, migrated database (kiosk_bench, kiosk_bench_30d, or
# SQLite files in the temporary folder); sets KIOSK_DATABASE_URL.
fresh_database() {
    if [[ $1 == sqlite ]]; then
        rm -f "$WORK/bench$2.sqlite3"*
        export KIOSK_DATABASE_URL=sqlite:///$WORK/bench$2.sqlite3
    else
        PG_CREATED=1
        "$BIN/python" -c "import psycopg2; c = psycopg2.connect('$PG/postgres'); \
c.autocommit = True; c.cursor().execute('CREATE DATABASE $PG_DB$2')"
        export KIOSK_DATABASE_URL=$PG/$PG_DB$2
    fi
    "$BIN/flask" --app kiosk db upgrade >/dev/null
}

export KIOSK_INSTANCE_PATH=$WORK/instance

say "machine"
{
    echo "date: $(date -u)"
    echo "nproc: $(nproc)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')"
    echo "memory: $(free -h | awk '/^Mem:/ {print $2}')"
    echo "loadavg at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "python: $("$BIN/python" -V 2>&1)"
    echo "sqlite: $("$BIN/python" -c 'import sqlite3; print(sqlite3.sqlite_version)')"
    echo "locust: $("$BIN/locust" --version 2>&1 | head -n1)"
    echo "gunicorn workers: $("$BIN/python" -c 'import multiprocessing as m; print(m.cpu_count() * 2 + 1)')"
    if [[ $ONLY == intake ]]; then
        echo "data set: 2 stores x 30 days (the intake phase only)"
    else
        echo "data set: $STORES stores x $DAYS days, $SHELF units per model on each shelf"
        echo "load: $TABLETS tablets, $PHASE s per phase ($PACED s at a tap a second, with one manager)"
    fi
    echo "intake: $INTAKE_SERIALS serials at $INTAKE_RATE a second"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo none)$(git diff --quiet HEAD 2>/dev/null || echo ' + uncommitted changes')"
} | tee "$OUT/machine.txt"

"$BIN/python" bench/sampler.py "$OUT/cpu.jsonl" $$ &
SAMPLER=$!

# intake RESULT_NAME: the intake phase against the kiosk on $kiosk (bench/intake.py).
intake() {
    say "$database: one tablet scanning $INTAKE_SERIALS serials at $INTAKE_RATE a second"
    "$BIN/python" bench/intake.py "http://127.0.0.1:$kiosk" "$OUT/$1-fixtures.json" \
        "$OUT/$1-intake.json" --serials "$INTAKE_SERIALS" --rate "$INTAKE_RATE"
}

first=1
for database in $DATABASES; do
    if [[ $database == postgres ]] && ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
        echo "bench: PostgreSQL is not running on 127.0.0.1:5432; skipping it" | tee "$OUT/postgres-skipped.txt"
        continue
    fi

    if [[ $database == postgres ]]; then drop_postgres; fi

    if [[ $ONLY == intake ]]; then
        touch "$OUT/intake-only"
        say "$database: a small set for the intake phase"
        fresh_database "$database" ""
        "$BIN/flask" --app kiosk demo --days 30 --stores 2 | tee "$OUT/$database-intake-demo.txt"
        "$BIN/python" bench/fixtures.py "$OUT/$database-fixtures.json" 1
        serve kiosk /signin wsgi:app
        kiosk=$PORT
        intake "$database"
        cp "$WORK"/kiosk.log "$OUT/$database-gunicorn.log" 2>/dev/null || true
        unserve
        continue
    fi

    say "$database: the 30-day set (the report's baseline)"
    fresh_database "$database" _30d
    "$BIN/flask" --app kiosk demo --days 30 --stores "$STORES" | tee "$OUT/$database-30d-demo.txt"
    "$BIN/python" bench/fixtures.py "$OUT/$database-30d-fixtures.json" 1
    serve kiosk-30d /signin wsgi:app
    baseline=$PORT
    baseline_pid=$SERVED_PID

    say "$database: the bench set, $STORES stores x $DAYS days"
    fresh_database "$database" ""
    "$BIN/flask" --app kiosk demo --days "$DAYS" --stores "$STORES" --shelf "$SHELF" \
        | tee "$OUT/$database-demo.txt"
    "$BIN/python" bench/fixtures.py "$OUT/$database-fixtures.json" "$TABLETS"
    serve ceiling / --pythonpath bench ceiling:app
    ceiling=$PORT
    serve kiosk /signin wsgi:app
    kiosk=$PORT

    say "$database: one client at a time"
    "$BIN/python" bench/measure.py "http://127.0.0.1:$kiosk" "$OUT/$database-fixtures.json" \
        "$OUT/$database-measure.json" ${first:+--pages} --ceiling "http://127.0.0.1:$ceiling/" \
        --baseline "http://127.0.0.1:$baseline" "$OUT/$database-30d-fixtures.json"
    stop "$baseline_pid"
    first=

    say "$database: $TABLETS tablets, $PHASE s per hot path"
    # An upper bound (10 phases, the paced one, one more for the sign-ins and the managers'
    # longer settling); Locust stops by itself when the last phase ends.
    run_for=$("$BIN/python" -c "print(int($WARMUP + 11 * $PHASE + max($PACED, 14) + 10))")
    (
        cd bench
        BENCH_FIXTURES="$PWD/../$OUT/$database-fixtures.json" \
        BENCH_CEILING_URL="http://127.0.0.1:$ceiling" \
        BENCH_SAMPLES="$PWD/../$OUT/$database-samples.json" \
        BENCH_PHASE_SECONDS=$PHASE BENCH_PACED_SECONDS=$PACED BENCH_WARMUP_SECONDS=$WARMUP \
            exec "$BIN/locust" -f locustfile.py --headless --only-summary \
            -u $((TABLETS + 1)) -r $((TABLETS + 1)) -t "${run_for}s" --stop-timeout 5 \
            --host "http://127.0.0.1:$kiosk" --loglevel WARNING
    ) >"$OUT/$database-locust.txt" 2>&1 &
    locust=$!
    PIDS+=("$locust")
    wait "$locust" || echo "bench: Locust ended with status $? (see $OUT/$database-locust.txt)"
    intake "$database"
    cp "$WORK"/kiosk.log "$OUT/$database-gunicorn.log" 2>/dev/null || true
    unserve

    # With the servers stopped, on the bench set as the load left it.
    say "$database: where each tap's time goes, in-process, $LAYER_REQUESTS taps each"
    for path in $LAYER_PATHS; do
        "$BIN/python" bench/hotpath.py "$path" "$LAYER_REQUESTS" --layers \
            --json "$OUT/$database-layers-$path.json" \
            || echo "bench: the layer profile of $path failed"
    done
done

say "catalog import: 5,000 products previewed and imported, on each database"
# Its own throwaway databases; the bound (10 s an import) makes it exit non-zero.
"$BIN/python" bench/catalog_import.py --databases "$DATABASES" --out "$OUT/catalog-import.json" \
    | tee "$OUT/catalog-import.md" || echo "bench: the catalog import missed its bound"

say "summary"
# A full run rewrites the numbers in docs/BENCHMARKS.md; a quick one (a small set, short
# phases) is for checking a change and only prints, unless BENCH_PUBLISH=1.
publish=()
if [[ -z ${QUICK:-} || -n ${BENCH_PUBLISH:-} ]]; then publish=(--publish docs/BENCHMARKS.md); fi
"$BIN/python" bench/summarize.py "$OUT" "${publish[@]}" | tee "$OUT/summary.md"
echo
echo "bench: results in $OUT${publish[*]:+; docs/BENCHMARKS.md rewritten}"
