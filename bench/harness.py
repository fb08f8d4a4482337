#!/usr/bin/env python3
"""relinks' benchmark harness (run it with bench/run).

Builds relinks, seeds a data set through the store, starts relinks and a baseline server (a
minimal axum app answering a fixed link JSON on the same runtime settings), drives each scenario
with wrk on loopback, and reports req/s, p50 and p99 and each scenario's ratio to the baseline,
relinks' peak RSS and its start-up time; then the file transfer scenarios (bench/files.py),
each against its own baseline. Writes a table to stdout and bench/RESULTS.md, and latency
plots to bench/plots/ (unless --no-plots). Figures, not verdicts: it never fails on them.
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
import urllib.request
from pathlib import Path

# bench/files.py imports this module by name: run as a script, it is that module too.
sys.modules.setdefault("harness", sys.modules[__name__])
import files  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "bench" / "scenarios"
TOKEN = "glpat-bench-0123456789abcdefghijklmnop"

READS = ["get_link", "list_100", "release_100", "redirect"]
SCENARIO_TITLES = {
    "get_link": "GET one link",
    "list_100": "GET 100 links (per_page=100)",
    "release_100": "GET a release with 100 links",
    "redirect": "permanent-link redirect",
    "create": "POST create (durable)",
    "put": "PUT rename",
    "mix": "90% reads / 10% creates",
}
TARGETS = {"get_link": 0.5, "redirect": 0.5, "list_100": 0.15}


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


def seed(binaries, database, projects, releases, links):
    out = subprocess.run(
        [str(binaries / "relinks-bench"), "seed", "--database", database, "--projects", str(projects),
         "--releases", str(releases), "--links", str(links), "--token", TOKEN],
        check=True, capture_output=True, text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


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


def peak_rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


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


def start_relinks(binaries, database, port):
    # The load generator is one user on one address: far beyond any rate limit, by design.
    env = dict(os.environ, RELINKS_ROOT_TOKEN=TOKEN, RELINKS_LOG="warn", RELINKS_RATE_LIMITS="off")
    server = Server([str(binaries / "relinks"), "serve", "--listen", f"127.0.0.1:{port}", "--database", database], env)
    startup = wait_ready(f"http://127.0.0.1:{port}/-/readiness")
    return server, startup


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
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    except Exception:
        return "unknown"


def table(rows, baseline):
    baseline_rps = baseline["rps"]
    lines = [
        "| Scenario | req/s | ratio to baseline | p50 ms | p99 ms | non-2xx/3xx |",
        "|---|---:|---:|---:|---:|---:|",
        f"| baseline (fixed JSON, no database) | {baseline_rps:,.0f} | 1.00 "
        f"| {baseline['p50'] / 1000:.2f} | {baseline['p99'] / 1000:.2f} | {baseline['status_errors']} |",
    ]
    for name, r in rows:
        lines.append(
            f"| {SCENARIO_TITLES[name]} | {r['rps']:,.0f} | {r['rps'] / baseline_rps:.2f} | "
            f"{r['p50'] / 1000:.2f} | {r['p99'] / 1000:.2f} | {r['status_errors']} |"
        )
    return "\n".join(lines)


def plot(results, directory):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    directory.mkdir(parents=True, exist_ok=True)
    percentiles = [i / 10 for i in range(1, 1000)]
    for name, r in results:
        fig, ax = plt.subplots(figsize=(7, 4))
        ax.plot([v / 1000 for v in r["curve"]], percentiles)
        ax.set_xscale("log")
        ax.set_xlabel("latency (ms, log scale)")
        ax.set_ylabel("percentile of requests")
        ax.set_title(f"{name}: {r['rps']:,.0f} req/s, p50 {r['p50'] / 1000:.2f} ms, p99 {r['p99'] / 1000:.2f} ms")
        ax.grid(True, which="both", alpha=0.3)
        fig.tight_layout()
        fig.savefig(directory / f"{name}.png", dpi=100)
        plt.close(fig)


def run_links(args, binaries, work, seconds, warm):
    """The link scenarios: the fixed-JSON baseline, each engine, and the scaling comparison."""
    quick = args.quick
    size = (2, 50, 500) if quick else (10, 10_000, 100_000)
    port = free_port()
    baseline = Server([str(binaries / "relinks-bench"), "baseline", "--listen", f"127.0.0.1:{port}"])
    wait_ready(f"http://127.0.0.1:{port}/fixed")
    base = wrk(f"http://127.0.0.1:{port}", "baseline", seconds, args.connections, 2, warmup=warm)
    baseline.stop()

    report = []
    engines = [("SQLite", f"sqlite://{work}/bench.db")]
    if args.postgres:
        engines.append(("PostgreSQL", args.postgres))
    for engine, database in engines:
        if database.startswith("postgres"):
            subprocess.run(["psql", database, "-qc", "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"], check=True)
        seeded = seed(binaries, database, *size)
        port = free_port()
        server, startup = start_relinks(binaries, database, port)
        rows = []
        for name in ["get_link", "list_100", "release_100", "redirect", "create", "put", "mix"]:
            # Reads are warmed up first, as the baseline is; writes are measured from a cold start.
            rows.append((name, wrk(f"http://127.0.0.1:{port}", name, seconds, args.connections, 2, seeded,
                                   warmup=warm if name in READS else 0)))
        rss = peak_rss_mb(server.process.pid)
        server.stop()
        report.append((engine, seeded, startup, rss, rows))

    scaling = None
    if not quick and not args.no_scaling:
        scaling = {}
        for links in (1_000, 1_000_000):
            database = f"sqlite://{work}/scale-{links}.db"
            seed(binaries, database, 10, max(links // 100, 10), links)
            port = free_port()
            server, _ = start_relinks(binaries, database, port)
            scaling[links] = wrk(f"http://127.0.0.1:{port}", "get_link", seconds, args.connections, 2,
                                 warmup=warm)["rps"]
            server.stop()
    return base, report, scaling


def links_report(base, report, scaling):
    out = []
    for engine, seeded, startup, rss, rows in report:
        out.append(f"\n## {engine}: {seeded['projects']} projects, {seeded['releases']:,} releases, {seeded['links']:,} links\n")
        out.append(table(rows, base))
        out.append(f"\nStart-up to ready: {startup * 1000:.0f} ms. Peak RSS under load: {rss:.1f} MB.")
        reads_p99 = max(r["p99"] for n, r in rows if n in READS) / 1000
        out.append(
            f"Worst p99 of the read scenarios: {reads_p99:.2f} ms (the baseline's own p99 on this machine: "
            f"{base['p99'] / 1000:.2f} ms)."
        )
        targets = ", ".join(
            f"{SCENARIO_TITLES[n]} {r['rps'] / base['rps']:.2f}x (target {TARGETS[n]}x)" for n, r in rows if n in TARGETS
        )
        out.append(f"Targets: {targets}; creates {dict(rows)['create']['rps']:,.0f}/s (target 5,000/s).")
    if scaling:
        cost = scaling[1_000] / scaling[1_000_000]
        out.append(
            f"\n## Scaling\n\nGET one link: {scaling[1_000]:,.0f} req/s with 1,000 links stored, "
            f"{scaling[1_000_000]:,.0f} req/s with 1,000,000: a request costs {cost:.2f}x as much "
            "with the larger store (target: at most 1.3x)."
        )
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a few seconds, small data, debug build: checks that the harness runs")
    parser.add_argument("--postgres", help="also run on this PostgreSQL database URL (it is emptied first)")
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
    quick = args.quick
    seconds = args.seconds or (1 if quick else 10)
    warm = 0 if quick else 2
    binaries = build("dev" if quick else "release")
    work = Path(tempfile.mkdtemp(prefix="relinks-bench-"))
    sharing = Sharing()
    try:
        disk = fsync_rate(work, 0.3 if quick else 2.0)
        base, report, scaling = run_links(args, binaries, work, seconds, warm) if args.only != "files" else (None, [], None)
        transfers = files.run(binaries, work, quick, seconds, args.connections, warm) if args.only != "links" else None

        out = []
        out.append("# relinks benchmark results\n")
        out.append(f"- Date: {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}; commit {commit()}")
        out.append(f"- Machine: {machine()}; {sharing.describe()}")
        out.append(f"- Load: wrk, 2 threads, {args.connections} connections, {seconds:g} s per scenario (reads and the baselines after "
                   f"{warm} s of unmeasured warm-up), loopback, on the same machine")
        out.append(f"- Disk: {disk:,.0f} fsyncs/s measured in the data directory")
        out.append(f"- Build: {'debug (quick run)' if quick else 'release'}")
        out.extend(links_report(base, report, scaling))
        if transfers:
            out.append(files.report(transfers))
        text = "\n".join(out) + "\n"
        print(text)
        results = args.results or (None if quick or args.only else ROOT / "bench" / "RESULTS.md")
        if results:
            Path(results).write_text(text)
        if not args.no_plots:
            for engine, _, _, _, rows in report:
                plot([("baseline", base)] + rows, ROOT / "bench" / "plots" / engine.lower())
            if transfers:
                plot([("files-baseline", transfers["baseline"]["small"]), ("download", transfers["relinks"]["small"])],
                     ROOT / "bench" / "plots" / "files")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
