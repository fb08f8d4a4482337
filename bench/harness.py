#!/usr/bin/env python3
"""relinks' benchmark harness (run it with bench/run).

Builds relinks, seeds a data set through the store, starts relinks (rate limits on, as it runs
by default, set high enough never to refuse) and the baselines, drives each scenario with wrk on
loopback, and reports req/s, p50 and p99 and each scenario's ratio to its baselines:
- a minimal axum app answering a fixed link JSON on the same runtime settings (no database),
  measured at the start and again beside each read scenario (before and after it): a read's
  ratio is to the mean of the two, since this machine's speed can move by a third in minutes;
- with --postgres, PostgreSQL's own limit on the same seeded data: a minimal axum + sqlx server
  answering GET with one prepared SELECT and POST with one INSERT (`relinks-bench pg-baseline`).
Also creates into one release growing past 10,000 links against creates into new releases,
relinks' idle and peak RSS and its start-up time (with 1,000,000 links too); then the file
transfer scenarios (bench/files.py), each against its own baseline. Writes a table to stdout
and bench/RESULTS.md, and latency plots to bench/plots/ (unless --no-plots). Figures, not
verdicts: it never fails on them.
"""

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

# bench/files.py imports this module by name: run as a script, it is that module too.
sys.modules.setdefault("harness", sys.modules[__name__])
import files  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "bench" / "scenarios"
TOKEN = "glpat-bench-0123456789abcdefghijklmnop"

READS = ["get_link", "list_100", "list_100_304", "release_100", "redirect"]
SCENARIO_ORDER = READS + ["create", "put", "mix"]
SCENARIO_TITLES = {
    "get_link": "GET one link",
    "list_100": "GET 100 links (per_page=100)",
    "list_100_304": "GET 100 links again, If-None-Match: 304",
    "release_100": "GET a release with 100 links",
    "redirect": "permanent-link redirect",
    "create": "POST create (durable)",
    "put": "PUT rename",
    "mix": "90% reads / 10% creates",
    "create_fresh": "POST create into new releases",
    "create_grow": "POST create into one growing release",
}

# relinks runs as `relinks serve` does by default, rate limits on, but with limits far above what
# the load generator (one user, one address) sends: every request is counted, none refused.
HIGH = 1_000_000_000
RATE_LIMITS = {
    "RELINKS_RATE_LIMITS": "on",
    "RELINKS_RATE_LIMIT_PER_USER": str(HIGH),
    "RELINKS_RATE_LIMIT_PER_IP": str(HIGH),
    "RELINKS_AUTH_FAILURES_BEFORE_BAN": str(HIGH),
}
# The growing-release scenario takes a release past relinks' default 10,000 links.
GROW_MAX_LINKS = 1_000_000
# Links each new release receives in the growing-release comparison (about: every wrk thread
# moves to the next release after its share).
FRESH_LINKS = 1_000
THREADS = 2

# Targets (issue 16). SQLite: ratios to the fixed-JSON baseline; PostgreSQL: to PostgreSQL's
# own one-query baselines (reads to one SELECT, writes to one INSERT).
SQLITE_TARGETS = {"get_link": 0.6, "redirect": 0.6, "list_100": 0.4, "release_100": 0.4}
SQLITE_CREATES_PER_S = 5_000
PG_TARGETS = {"get_link": 0.5, "redirect": 0.5, "list_100": 0.5, "create": 0.5, "put": 0.5}
PG_READS_P99_MS = 10
GROWTH_TARGET = 1 / 1.3
IDLE_RSS_MB = 20
STARTUP_MS = 200
SCALING_TARGET = 1.3


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(url, timeout=30.0):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return time.monotonic() - start
        except Exception:
            time.sleep(0.002)
    raise RuntimeError(f"{url} did not become ready")


def build(profile):
    args = ["cargo", "build", "--locked", "--bin", "relinks", "--bin", "relinks-bench"]
    if profile == "release":
        args.append("--release")
    subprocess.run(args, cwd=ROOT, check=True)
    # Where cargo put them: CARGO_TARGET_DIR when set (relative to the checkout, as cargo reads it).
    target = ROOT / os.environ.get("CARGO_TARGET_DIR", "target")
    return target / ("release" if profile == "release" else "debug")


def seed(binaries, database, projects, releases, links, fresh=0, grow=0):
    out = subprocess.run(
        [str(binaries / "relinks-bench"), "seed", "--database", database, "--projects", str(projects),
         "--releases", str(releases), "--links", str(links), "--token", TOKEN,
         "--fresh-releases", str(fresh), "--grow-links", str(grow)],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def ensure_database(url):
    """Creates the database a PostgreSQL URL names when it does not exist, through the server's
    `postgres` database."""
    parts = urllib.parse.urlsplit(url)
    name = urllib.parse.unquote(parts.path.lstrip("/")) or urllib.parse.unquote(parts.username or "")
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    # psql's variables quote the name (:'name' a literal, :"name" an identifier); -c does not
    # read them, standard input does.
    def psql(sql):
        return subprocess.run(["psql", admin, "-XqtA", "-v", "ON_ERROR_STOP=1", "-v", f"name={name}"],
                              input=sql, check=True, capture_output=True, text=True).stdout.strip()
    if psql("SELECT 1 FROM pg_database WHERE datname = :'name';\n") != "1":
        psql('CREATE DATABASE :"name";\n')
        print(f"created the database {name}", file=sys.stderr)


def wrk(url, scenario, seconds, connections, threads, seeded=None, warmup=0, env=None):
    """Runs one scenario; `warmup` seconds of the same load first, not measured (caches filled,
    connections and allocator pools settled), as the baseline gets them too. `env`: more
    settings for the scenario's script."""
    if warmup:
        wrk(url, scenario, warmup, connections, threads, seeded, env=env)
    env = dict(os.environ, BENCH_TOKEN=TOKEN, BENCH_SCENARIOS=str(SCENARIOS), **(env or {}))
    if seeded:
        # Writes spread over project 2's releases, as CI jobs publish to many releases.
        env["BENCH_PROJECTS"] = str(seeded["projects"])
        env["BENCH_RELEASES_PER_PROJECT"] = str(seeded["releases"] // seeded["projects"])
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s",
         "-s", str(SCENARIOS / f"{scenario}.lua"), url],
        check=True, capture_output=True, text=True, env=env,
    )
    line = next(l for l in out.stdout.splitlines() if l.startswith("BENCH_JSON "))
    result = json.loads(line[len("BENCH_JSON "):])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def etag(url, path):
    """The ETag relinks answers `path` with (the conditional scenario sends it back)."""
    request = urllib.request.Request(url + path, headers={"PRIVATE-TOKEN": TOKEN})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers.get("ETag", "")


def status_mb(pid, field):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mb(pid):
    return status_mb(pid, "VmHWM")


def rss_mb(pid):
    return status_mb(pid, "VmRSS")


def fsync_rate(directory, seconds=1.0):
    path = Path(directory) / "fsync-probe"
    count = 0
    with open(path, "wb") as f:
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            f.write(b"x" * 512)
            f.flush()
            os.fsync(f.fileno())
            count += 1
    path.unlink()
    return count / seconds


class Server:
    def __init__(self, args, env=None):
        self.process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_relinks(binaries, database, port, storage=None, env=None):
    """relinks serve, rate limits on (RATE_LIMITS); returns the server and its time from exec to
    ready (/-/readiness answering 200)."""
    env = {**os.environ, "RELINKS_ROOT_TOKEN": TOKEN, "RELINKS_LOG": "warn", **RATE_LIMITS, **(env or {})}
    if storage:
        env["RELINKS_STORAGE"] = str(storage)
    server = Server([str(binaries / "relinks"), "serve", "--listen", f"127.0.0.1:{port}", "--database", database], env)
    startup = wait_ready(f"http://127.0.0.1:{port}/-/readiness")
    return server, startup


def idle_rss(server, quick):
    """RSS after start, with no load: once the start-up's background work has settled."""
    time.sleep(0.2 if quick else 2.0)
    return rss_mb(server.process.pid)


def machine():
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    mem = "?"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    return f"{os.cpu_count()} cores ({model}), {mem}, {platform.system()} {platform.release()}"


class Sharing:
    """How much CPU the rest of the machine took during the run: busy time (user, nice, system
    in /proc/stat) less this harness's own and its children's (servers and load generators,
    all waited for), and the time the hypervisor took (steal)."""

    def __init__(self):
        self.start = self.sample()

    @staticmethod
    def sample():
        fields = [int(v) / os.sysconf("SC_CLK_TCK") for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        own = sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
                  for f in ("ru_utime", "ru_stime"))
        return time.monotonic(), sum(fields[0:3]), fields[7], own

    def describe(self):
        (t0, busy0, steal0, own0), (t1, busy1, steal1, own1) = self.start, self.sample()
        capacity = (t1 - t0) * os.cpu_count()
        other = max(0.0, (busy1 - busy0) - (own1 - own0)) / capacity
        return f"other processes took {other:.0%} of the CPU during the run, the hypervisor {(steal1 - steal0) / capacity:.0%}"


def commit():
    """HEAD's short hash, and whether the build had uncommitted changes of the server's code
    (BENCH_COMMIT says which commit when the tree is not a git checkout, e.g. a `git archive`)."""
    if os.environ.get("BENCH_COMMIT"):
        return os.environ["BENCH_COMMIT"]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True).stdout.strip() or "unknown"
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "src", "migrations", "Cargo.toml",
                                "Cargo.lock", "build.rs"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
        return head + (" (with uncommitted changes to the server)" if dirty else "")
    except Exception:
        return "unknown"


def ms(us):
    return f"{us / 1000:.2f}"


class EngineRun:
    """What one engine's run measured: its scenarios, the growing-release pair, its PostgreSQL
    baselines (PostgreSQL only), start-up and memory."""

    def __init__(self, engine, seeded):
        self.engine, self.seeded = engine, seeded
        self.rows = {}
        self.startup = self.idle_rss = self.peak_rss = None
        self.select = self.insert = self.plain = None
        self.grow_links_after = None

    @property
    def postgres(self):
        return self.engine == "PostgreSQL"

    def pg_base(self, name):
        """The PostgreSQL baseline a scenario is compared with: reads with one SELECT, writes
        with one INSERT (none for the mix)."""
        if not self.select:
            return None
        if name in READS:
            return self.select
        if name in ("create", "put", "create_fresh", "create_grow"):
            return self.insert
        return None

    def growth(self):
        fresh, grow = self.rows.get("create_fresh"), self.rows.get("create_grow")
        return grow["rps"] / fresh["rps"] if fresh and grow and fresh["rps"] else None

    def worst_read_p99_ms(self):
        return max(self.rows[n]["p99"] for n in READS) / 1000


def fixed_ratio(row, base):
    """A scenario's req/s over the fixed-JSON baseline's: the one measured beside it (reads),
    else the one at the start."""
    return row["rps"] / row.get("beside", base["rps"])


def scenario_table(base, runs):
    """Every scenario, the engines side by side: req/s, the ratio to the fixed-JSON baseline
    (and to PostgreSQL's own baselines), p50, p99."""
    header, rule = ["Scenario"], ["---"]
    for run in runs:
        header += [f"{run.engine} req/s", "× fixed JSON"] + (["× PG baseline"] if run.select else []) + ["p50 ms", "p99 ms"]
    header.append("non-2xx/3xx")
    rule += ["---:"] * (len(header) - 1)
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(rule) + "|"]
    for name in SCENARIO_ORDER + ["create_fresh", "create_grow"]:
        if not all(name in run.rows for run in runs):
            continue
        cells = [SCENARIO_TITLES[name]]
        for run in runs:
            r = run.rows[name]
            cells += [f"{r['rps']:,.0f}", f"{fixed_ratio(r, base):.2f}"]
            if run.select:
                pg = run.pg_base(name)
                cells.append(f"{r['rps'] / pg['rps']:.2f}" if pg else "")
            cells += [ms(r["p50"]), ms(r["p99"])]
        cells.append(" / ".join(str(run.rows[name]["status_errors"] + run.rows[name]["socket_errors"]) for run in runs))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def baseline_table(base, runs):
    lines = [
        "| Baseline | req/s | p50 ms | p99 ms | non-2xx/3xx |",
        "|---|---:|---:|---:|---:|",
        f"| fixed JSON, no database (`relinks-bench baseline`, GET) | {base['rps']:,.0f} | {ms(base['p50'])} "
        f"| {ms(base['p99'])} | {base['status_errors'] + base['socket_errors']} |",
    ]
    floor = base.get("floor")
    if floor:
        lines.append(
            f"| floor: GET one link with only the work itself, token keyed and looked up, link rendered, relinks' "
            f"headers (`relinks-bench floor`; {floor['rps'] / base['rps']:.2f}x fixed JSON) | {floor['rps']:,.0f} "
            f"| {ms(floor['p50'])} | {ms(floor['p99'])} | {floor['status_errors'] + floor['socket_errors']} |")
    for run in runs:
        if run.select:
            for title, r in (("PostgreSQL: one prepared SELECT by id (`relinks-bench pg-baseline`, GET one link)", run.select),
                             ("PostgreSQL: one INSERT … RETURNING into release_links, its triggers firing "
                              "(`relinks-bench pg-baseline`, POST create)", run.insert),
                             ("PostgreSQL, reference: one INSERT … RETURNING into a copy of release_links without "
                              "triggers or foreign key (`pg-baseline --plain`)", run.plain)):
                if r is None:
                    continue
                lines.append(f"| {title} | {r['rps']:,.0f} | {ms(r['p50'])} | {ms(r['p99'])} "
                             f"| {r['status_errors'] + r['socket_errors']} |")
    return "\n".join(lines)


def targets_table(base, runs, scaling):
    rows = []

    def target(what, value, shown, met):
        rows.append(f"| {what} | {shown.format(value)} | {'met' if met(value) else 'missed'} |")

    for run in runs:
        e = run.engine
        if run.postgres:
            for name, goal in PG_TARGETS.items():
                pg = run.pg_base(name)
                if pg and name in run.rows:
                    kind = "one-query" if name in READS else "one-insert"
                    target(f"{e}: {SCENARIO_TITLES[name]} ≥ {goal}x the {kind} baseline",
                           run.rows[name]["rps"] / pg["rps"], "{:.2f}x", lambda v, g=goal: v >= g)
            target(f"{e}: p99 of every read < {PG_READS_P99_MS} ms", run.worst_read_p99_ms(), "{:.2f} ms",
                   lambda v: v < PG_READS_P99_MS)
        else:
            for name, goal in SQLITE_TARGETS.items():
                target(f"{e}: {SCENARIO_TITLES[name]} ≥ {goal}x the fixed-JSON baseline",
                       fixed_ratio(run.rows[name], base), "{:.2f}x", lambda v, g=goal: v >= g)
            target(f"{e}: durable creates ≥ {SQLITE_CREATES_PER_S:,}/s", run.rows["create"]["rps"], "{:,.0f}/s",
                   lambda v: v >= SQLITE_CREATES_PER_S)
        if run.growth() is not None:
            target(f"{e}: creates into a release of {run.seeded['grow_links']:,}+ links ≥ {GROWTH_TARGET:.2f}x those "
                   "into new releases (within 1.3x)", run.growth(), "{:.2f}x", lambda v: v >= GROWTH_TARGET)
        target(f"{e}: idle RSS ({run.seeded['links']:,} links, started, no load) < {IDLE_RSS_MB} MB", run.idle_rss,
               "{:.1f} MB", lambda v: v < IDLE_RSS_MB)
    if scaling:
        big = max(scaling)
        target(f"SQLite: start-up to ready with {big:,} links < {STARTUP_MS} ms (a restart; the first start after "
               f"seeding took {scaling[big]['first_start'] * 1000:.0f} ms)", scaling[big]["startup"] * 1000,
               "{:.0f} ms", lambda v: v < STARTUP_MS)
        target(f"SQLite: idle RSS with {big:,} links < {IDLE_RSS_MB} MB", scaling[big]["idle_rss"], "{:.1f} MB",
               lambda v: v < IDLE_RSS_MB)
        target(f"SQLite: a GET one link costs ≤ {SCALING_TARGET}x with {big:,} links as with {min(scaling):,}",
               scaling[min(scaling)]["rps"] / scaling[big]["rps"], "{:.2f}x", lambda v: v <= SCALING_TARGET)
    return "\n".join(["| Target | measured | |", "|---|---:|---|"] + rows)


def plot(title, series, path):
    """Latency percentiles of several runs on one figure; `series`: (label, wrk result)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    path.parent.mkdir(parents=True, exist_ok=True)
    percentiles = [i / 10 for i in range(1, 1000)]
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for label, r in series:
        ax.plot([max(v, 1) / 1000 for v in r["curve"]], percentiles,
                label=f"{label}: {r['rps']:,.0f} req/s, p99 {ms(r['p99'])} ms")
    ax.set_xscale("log")
    ax.set_xlabel("latency (ms, log scale)")
    ax.set_ylabel("percentile of requests")
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    # Below the axes: the curves fill the plot from corner to corner.
    ax.legend(fontsize="small", loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def links_plots(base, runs, directory):
    """One figure per scenario: every engine, and the baselines it is compared with. Returns
    the (title, file name) of each."""
    made = []
    for name in SCENARIO_ORDER + ["create_fresh", "create_grow"]:
        series = []
        if name in READS:
            series.append(("baseline: fixed JSON", base))
        for run in runs:
            pg = run.pg_base(name)
            if pg:
                series.append(("baseline: PostgreSQL one " + ("SELECT" if name in READS else "INSERT"), pg))
        series += [(run.engine, run.rows[name]) for run in runs if name in run.rows]
        if len(series) > (1 if name in READS else 0):
            plot(SCENARIO_TITLES[name], series, directory / f"{name}.png")
            made.append((SCENARIO_TITLES[name], f"{name}.png"))
    return made


def relinks_server(binaries, database, work, engine, env=None):
    port = free_port()
    server, startup = start_relinks(binaries, database, port, storage=work / f"files-{engine.lower()}", env=env)
    return server, startup, f"http://127.0.0.1:{port}"


def run_engine(args, binaries, work, engine, database, size, seconds, warm, beside):
    """One engine: seeded afresh; relinks' scenarios, the reads with the fixed-JSON baseline
    measured beside each (`beside()`); the growing-release pair; on PostgreSQL, the one-query
    baselines on the same data."""
    quick, connections = args.quick, args.connections
    if database.startswith("postgres"):
        ensure_database(database)
        subprocess.run(["psql", database, "-Xqc", "SET client_min_messages = warning; "
                        "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"], check=True)
    # Enough new releases that each receives about FRESH_LINKS links, whatever the rate.
    fresh = 20 if quick else max(100, seconds * 40)
    grow = 1_000 if quick else 10_000
    run = EngineRun(engine, seed(binaries, database, *size, fresh=fresh, grow=grow))
    seeded = run.seeded

    server, run.startup, url = relinks_server(binaries, database, work, engine)
    try:
        run.idle_rss = idle_rss(server, quick)
        before = beside()
        for name in SCENARIO_ORDER:
            # Reads are warmed up first, as the baseline is; writes are measured from a cold start.
            env = {"BENCH_ETAG": etag(url, "/api/v4/projects/1/releases/v-big/assets/links?per_page=100")}
            run.rows[name] = wrk(url, name, seconds, connections, THREADS, seeded,
                                 warmup=warm if name in READS else 0, env=env)
            if name in READS:
                after = beside()
                run.rows[name]["beside"] = (before["rps"] + after["rps"]) / 2
                before = after
        run.peak_rss = peak_rss_mb(server.process.pid)
    finally:
        server.stop()

    # Creates into one release at a time, the same load twice: new releases (each takes about
    # FRESH_LINKS links, then the next), then one release that holds `grow` links already and
    # grows from there. A relinks of its own, whose release size limit lets it grow.
    server, _, url = relinks_server(binaries, database, work, engine, env={"RELINKS_MAX_LINKS_PER_RELEASE": str(GROW_MAX_LINKS)})
    try:
        one = {"BENCH_PROJECT": str(seeded["extra_project"])}
        if warm:
            wrk(url, "create", warm, connections, THREADS, seeded)
        run.rows["create_fresh"] = wrk(url, "create_one", seconds, connections, THREADS, env=dict(
            one, BENCH_FRESH_COUNT=str(seeded["fresh_releases"]), BENCH_FRESH_EVERY=str(FRESH_LINKS // THREADS)))
        run.rows["create_grow"] = wrk(url, "create_one", seconds, connections, THREADS,
                                      env=dict(one, BENCH_TAG=seeded["grow_release"]))
        r = run.rows["create_grow"]
        run.grow_links_after = seeded["grow_links"] + r["requests"] - r["status_errors"]
    finally:
        server.stop()

    if run.postgres:
        # PostgreSQL's own limit on the same data: one SELECT per GET, one INSERT per POST; then
        # one INSERT into a copy of the table without its triggers (a reference that does not
        # move with the schema).
        for plain in (False, True):
            port = free_port()
            baseline = Server([str(binaries / "relinks-bench"), "pg-baseline", "--listen", f"127.0.0.1:{port}",
                               "--database", database] + (["--plain"] if plain else []))
            try:
                wait_ready(f"http://127.0.0.1:{port}/ready")
                url = f"http://127.0.0.1:{port}"
                if plain:
                    run.plain = wrk(url, "create", seconds, connections, THREADS, seeded)
                else:
                    run.select = wrk(url, "get_link", seconds, connections, THREADS, seeded, warmup=warm)
                    run.insert = wrk(url, "create", seconds, connections, THREADS, seeded)
            finally:
                baseline.stop()
    return run


def run_links(args, binaries, work, seconds, warm):
    """The link scenarios: the fixed-JSON baseline, each engine, and the scaling comparison."""
    port = free_port()
    # The fixed-JSON baseline runs for the whole link run, idle but for its measurements.
    baseline = Server([str(binaries / "relinks-bench"), "baseline", "--listen", f"127.0.0.1:{port}"])
    try:
        wait_ready(f"http://127.0.0.1:{port}/fixed")
        return run_links_beside(args, binaries, work, seconds, warm, lambda: wrk(
            f"http://127.0.0.1:{port}", "baseline", seconds, args.connections, THREADS, warmup=warm))
    finally:
        baseline.stop()


def run_links_beside(args, binaries, work, seconds, warm, beside):
    """run_links with the baseline running; `beside()` measures it."""
    quick = args.quick
    size = (2, 50, 500) if quick else (10, 10_000, 100_000)
    base = beside()
    # The floor: the least work of GET one link, with nothing of relinks around it (floor.rs).
    port = free_port()
    floor = Server([str(binaries / "relinks-bench"), "floor", "--listen", f"127.0.0.1:{port}", "--token", TOKEN])
    try:
        wait_ready(f"http://127.0.0.1:{port}/-/readiness")
        base["floor"] = wrk(f"http://127.0.0.1:{port}", "get_link", seconds, args.connections, THREADS, warmup=warm)
    finally:
        floor.stop()

    # What counting a download costs a request, in-process (the redirect pays it).
    out = subprocess.run([str(binaries / "relinks-bench"), "count-cost"], check=True, capture_output=True, text=True)
    base["count_ns"] = json.loads(out.stdout)["ns_per_download"]

    engines = [("SQLite", f"sqlite://{work}/bench.db")]
    if args.postgres:
        engines.append(("PostgreSQL", args.postgres))
    runs = [run_engine(args, binaries, work, engine, database, size, seconds, warm, beside)
            for engine, database in engines]

    scaling = None
    if not quick and not args.no_scaling:
        scaling = {}
        for links in (1_000, 1_000_000):
            database = f"sqlite://{work}/scale-{links}.db"
            seed(binaries, database, 10, max(links // 100, 10), links)
            # The first start after seeding (it keys the seeded token), then an ordinary restart.
            server, first, url = relinks_server(binaries, database, work, f"scale-{links}")
            server.stop()
            server, startup, url = relinks_server(binaries, database, work, f"scale-{links}")
            try:
                figures = {"first_start": first, "startup": startup, "idle_rss": idle_rss(server, quick)}
                figures["rps"] = wrk(url, "get_link", seconds, args.connections, THREADS, warmup=warm)["rps"]
            finally:
                server.stop()
            scaling[links] = figures
    return base, runs, scaling


def links_report(base, runs, scaling, plots):
    if not runs:
        return []
    out = ["\n## Links: " + ", ".join(
        f"{run.engine} ({run.seeded['projects']} projects, {run.seeded['releases']:,} releases, "
        f"{run.seeded['links']:,} links)" for run in runs) + "\n"]
    out.append(baseline_table(base, runs))
    out.append("")
    out.append(scenario_table(base, runs))
    out.append("")
    out.append(
        "× fixed JSON: req/s over the fixed-JSON baseline's: for a read, the mean of the baseline measured just "
        "before and just after it; for a write, the baseline at the start of the run; × PG baseline: over PostgreSQL's own limit on the same "
        "data, one prepared SELECT by id for reads, one INSERT … RETURNING (autocommit; the schema's triggers fire) "
        "for writes. Writes are measured from a cold start, reads and the baselines after the warm-up. "
        "non-2xx/3xx: answers other than 2xx/3xx plus socket errors, per engine.")
    for run in runs:
        r = run.rows
        line = (f"\n**{run.engine}**: start-up to ready {run.startup * 1000:.0f} ms; idle RSS {run.idle_rss:.1f} MB "
                f"(started, {run.seeded['links']:,} links, no load); peak RSS under load {run.peak_rss:.1f} MB; worst p99 "
                f"of the reads {run.worst_read_p99_ms():.2f} ms (the fixed-JSON baseline's p99: {ms(base['p99'])} ms). "
                f"A conditional GET of the 100 links answered 304: {r['list_100_304']['rps']:,.0f} req/s, "
                f"{r['list_100_304']['rps'] / r['list_100']['rps']:.2f}x the full answer's rate.")
        besides = [r[n]["beside"] for n in READS if "beside" in r.get(n, {})]
        if besides:
            line += (f" The fixed JSON measured beside its reads: {min(besides):,.0f} to {max(besides):,.0f} req/s "
                     f"(at the start of the run: {base['rps']:,.0f}).")
        if "count_ns" in base and "redirect" in r:
            # Each request's share of the machine's two cores at the measured rate (wrk's included).
            budget_ns = 2e9 / r["redirect"]["rps"]
            line += (f" Each redirect counts a download: {base['count_ns']:.0f} ns in-process (`relinks-bench "
                     f"count-cost`), {100 * base['count_ns'] / budget_ns:.2f}% of the "
                     f"{budget_ns / 1000:.1f} µs of CPU a redirect takes at {r['redirect']['rps']:,.0f} req/s.")
        if run.plain:
            line += (f" Against the trigger-free INSERT ({run.plain['rps']:,.0f}/s): creates "
                     f"{r['create']['rps'] / run.plain['rps']:.2f}x, PUTs {r['put']['rps'] / run.plain['rps']:.2f}x "
                     f"(the one-INSERT baseline itself: {run.insert['rps'] / run.plain['rps']:.2f}x).")
        if run.growth() is not None:
            line += (f" Growing release: creates into new releases (each takes about {FRESH_LINKS:,} links, then the "
                     f"next) {r['create_fresh']['rps']:,.0f}/s; into one release from {run.seeded['grow_links']:,} to "
                     f"{run.grow_links_after:,} links {r['create_grow']['rps']:,.0f}/s: {run.growth():.2f}x.")
        out.append(line)
    if scaling:
        small, big = min(scaling), max(scaling)
        out.append(
            f"\n## Scaling (SQLite)\n\nGET one link: {scaling[small]['rps']:,.0f} req/s with {small:,} links stored, "
            f"{scaling[big]['rps']:,.0f} req/s with {big:,}: a request costs "
            f"{scaling[small]['rps'] / scaling[big]['rps']:.2f}x as much with the larger store. Start-up to ready "
            f"(a restart): {scaling[small]['startup'] * 1000:.0f} ms with {small:,} links, "
            f"{scaling[big]['startup'] * 1000:.0f} ms with {big:,}; the first start after seeding, which keys the "
            f"seeded token: {scaling[small]['first_start'] * 1000:.0f} ms and {scaling[big]['first_start'] * 1000:.0f} "
            f"ms. Idle RSS after the restart: {scaling[small]['idle_rss']:.1f} MB and {scaling[big]['idle_rss']:.1f} MB."
        )
    out.append("\n## Targets\n")
    out.append(targets_table(base, runs, scaling))
    if plots:
        out.append("\n## Plots\n")
        out.append("Latency percentiles of each scenario, every engine and the baselines it is compared with "
                   "(bench/plots/links/).\n")
        for title, name in plots:
            out.append(f"![{title}](plots/links/{name})")
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few seconds, small data: checks that the harness runs")
    parser.add_argument("--postgres", help="also run on this PostgreSQL database URL (created when missing, emptied first)")
    parser.add_argument("--seconds", type=int, default=None, help="duration of each scenario, whole seconds")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--no-plots", action="store_true")
    parser.add_argument("--no-scaling", action="store_true", help="skip the 1,000 vs 1,000,000 links comparison")
    parser.add_argument("--only", choices=["links", "files"], help="run only the link scenarios, or only the file transfers")
    parser.add_argument("--results", help="where to write the report (default: bench/RESULTS.md, after a whole run "
                        "that is not --quick)")
    args = parser.parse_args()

    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed (Debian: apt-get install wrk)")
    if args.only != "links" and shutil.which("curl") is None:
        sys.exit("curl is not installed (Debian: apt-get install curl); the file transfers need it")
    if args.postgres and shutil.which("psql") is None:
        sys.exit("psql is not installed (Debian: apt-get install postgresql-client); --postgres needs it")
    quick = args.quick
    seconds = args.seconds or (1 if quick else 10)
    warm = 0 if quick else 2
    # The release build even for a quick run: CI has made it already, while a debug build of the
    # binaries alone (without the tests' dev-dependencies) would build most crates again.
    binaries = build("release")
    work = Path(tempfile.mkdtemp(prefix="relinks-bench-"))
    sharing = Sharing()
    try:
        disk = fsync_rate(work, 0.3 if quick else 2.0)
        base, runs, scaling = run_links(args, binaries, work, seconds, warm) if args.only != "files" else (None, [], None)
        transfers = files.run(binaries, work, quick, seconds, args.connections, warm) if args.only != "links" else None

        plots = []
        if not args.no_plots:
            if runs:
                plots = links_plots(base, runs, ROOT / "bench" / "plots" / "links")
            if transfers:
                plot(f"1 MiB downloads, {args.connections} at a time",
                     [("baseline: axum file server", transfers["baseline"]["small"]),
                      ("relinks", transfers["relinks"]["small"])],
                     ROOT / "bench" / "plots" / "files" / "downloads_1mib.png")

        out = []
        out.append("# relinks benchmark results\n")
        out.append(f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}; commit {commit()}")
        out.append(f"- Machine: {machine()}; {sharing.describe()}")
        out.append(f"- Load: wrk, {THREADS} threads, {args.connections} connections, {seconds:g} s per scenario (reads and "
                   f"the baselines after {warm} s of unmeasured warm-up), loopback, on the same machine")
        out.append("- relinks: `relinks serve` as it runs by default, with rate limits on (RELINKS_RATE_LIMITS=on) but "
                   f"set far above the load (per user, per address and failed authentications before a ban: {HIGH:,} a "
                   "minute), so every request is counted and none refused; the growing-release scenario's relinks "
                   f"allows {GROW_MAX_LINKS:,} links per release (RELINKS_MAX_LINKS_PER_RELEASE)")
        out.append(f"- Disk: {disk:,.0f} fsyncs/s measured in the data directory")
        out.append("- Build: release" + (" (quick run)" if quick else ""))
        out.extend(links_report(base, runs, scaling, plots))
        if transfers:
            out.append(files.report(transfers))
            if not args.no_plots:
                out.append("\n![1 MiB downloads](plots/files/downloads_1mib.png)")
        text = "\n".join(out) + "\n"
        print(text)
        results = args.results or (None if quick or args.only else ROOT / "bench" / "RESULTS.md")
        if results:
            Path(results).write_text(text)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
