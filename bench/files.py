"""relinks' benchmark: the file transfer scenarios (bench/harness.py runs them).

- One big file (256 MiB; 16 MiB in quick runs) of random bytes, uploaded (generic package PUT)
  and downloaded (GET) by curl, several times each, to relinks and the baseline in turn (both
  run side by side): MB/s (10^6 bytes a second, the median of the repetitions) and each
  server's peak RSS during each kind of transfer (VmHWM, reset before it through
  /proc/<pid>/clear_refs, on a relinks started for these scenarios alone).
- 64 concurrent downloads of a 1 MiB file, by wrk: req/s and p99.

Each is compared with a baseline measured in the same run, on the same filesystem: a minimal
axum file server (`relinks-bench files-baseline`: SHA-256 as the body arrives, fsync; files
streamed back), and for uploads the raw speed of SHA-256 + write + fsync in one process
(`relinks-bench hash-write`).
"""

import hashlib
import json
import os
import resource
import statistics
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import harness

# Repetitions of each big transfer (a 256 MiB download takes a tenth of a second): the median
# is reported.
UPLOADS, DOWNLOADS = 5, 15
SMALL = 1 << 20
MB = 1e6
# Targets: downloads against the file server, uploads against raw SHA-256 + write.
TARGETS = {"download": 0.8, "small": 0.8, "upload_raw": 0.5}


def random_file(path, size):
    with open(path, "wb") as f:
        for offset in range(0, size, 1 << 20):
            f.write(os.urandom(min(1 << 20, size - offset)))
        f.flush()
        os.fsync(f.fileno())
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def rss_mb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def reset_peak(pid):
    """Resets VmHWM to the current RSS (Linux 4.0+), so that the next reading is this phase's
    peak; returns that RSS (None when the peak could not be reset)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return None
    return rss_mb(pid)


def cpu_seconds(pid):
    """utime + stime of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def curl(args, expect):
    """One transfer by curl; returns its time (s, curl's own measure), and curl's CPU time and
    its process's lifetime (s)."""
    before, started = children_cpu(), time.monotonic()
    out = subprocess.run(
        ["curl", "-sS", "--fail-with-body", "-o", "/dev/null", "-w", "%{http_code} %{time_total}", *args],
        check=True, capture_output=True, text=True,
    )
    code, total = out.stdout.split()
    if int(code) not in expect:
        raise RuntimeError(f"curl {args[-1]}: HTTP {code}")
    return float(total), children_cpu() - before, time.monotonic() - started


def upload(url, path, headers):
    # No `Expect: 100-continue`: the body goes at once, to relinks and the baseline alike.
    return curl(["-X", "PUT", "--upload-file", str(path), "-H", "Expect:", *headers, url], (200, 201))


def download(url, headers):
    return curl([*headers, url], (200,))


class Target:
    """A server under test: its process, where the big file goes, and the headers it needs."""

    def __init__(self, name, process, base, big_path, small_path, headers):
        self.name, self.pid, self.base = name, process.pid, base
        self.big, self.small = base + big_path, small_path
        self.headers = headers
        self.figures = {}


def transfers(targets, kind, transfer, size, repetitions):
    """`repetitions` transfers of one kind to each target, taking turns (a drift in the machine's
    speed falls on both alike); the median MB/s, each target's peak RSS and CPU."""
    state = {}
    for t in targets:
        state[t.name] = {"before": reset_peak(t.pid), "cpu": cpu_seconds(t.pid), "runs": [], "client": 0.0, "wall": 0.0}
    for _ in range(repetitions):
        for t in targets:
            seconds, cpu, lifetime = transfer(t)
            s = state[t.name]
            s["runs"].append(size / seconds / MB)
            s["client"] += cpu
            s["wall"] += lifetime
    for t in targets:
        s = state[t.name]
        t.figures[kind] = {
            "mb_s": statistics.median(s["runs"]),
            "runs": s["runs"],
            "peak_rss_mb": harness.peak_rss_mb(t.pid),
            "rss_before_mb": s["before"],
            # CPU seconds per GB moved, and the client's share of one core while it ran.
            "server_cpu_s_per_gb": (cpu_seconds(t.pid) - s["cpu"]) / (size * repetitions / 1e9),
            "client_cpu_share": s["client"] / s["wall"],
        }


def small_downloads(target, seconds, connections, warmup):
    env = {"BENCH_DOWNLOAD_PATH": target.small}
    before = reset_peak(target.pid)
    if warmup:
        harness.wrk(target.base, "download", warmup, connections, 2, env=env)
    server_cpu = cpu_seconds(target.pid)
    result = harness.wrk(target.base, "download", seconds, connections, 2, env=env)
    result["server_cpu_us_per_request"] = (cpu_seconds(target.pid) - server_cpu) / result["requests"] * 1e6
    result["peak_rss_mb"] = harness.peak_rss_mb(target.pid)
    result["rss_before_mb"] = before
    target.figures["small"] = result


def api(base, method, path, fields=None):
    data = urllib.parse.urlencode(fields or {}).encode() if fields is not None else None
    request = urllib.request.Request(base + path, data=data, method=method,
                                     headers={"PRIVATE-TOKEN": harness.TOKEN})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, response.headers, response.read()


def run(binaries, work, quick, seconds, connections, warmup):
    """Runs every file scenario; returns what `report` prints."""
    size = (16 if quick else 256) << 20
    uploads, downloads = (3, 3) if quick else (UPLOADS, DOWNLOADS)
    data = Path(work) / "files"
    data.mkdir()
    source, small = data / "big.bin", data / "small.bin"
    digest = random_file(source, size)
    random_file(small, SMALL)
    bench = str(binaries / "relinks-bench")

    # The baseline file server, and a relinks of its own on an empty database (its peaks are the
    # transfers'), both storing into `data`: the same filesystem as the raw figure's.
    port = harness.free_port()
    baseline = harness.Server([bench, "files-baseline", "--listen", f"127.0.0.1:{port}", "--dir", str(data / "baseline")])
    servers = [baseline]
    try:
        base_url = f"http://127.0.0.1:{port}"
        harness.wait_ready(f"{base_url}/ready")
        port = harness.free_port()
        relinks, _ = harness.start_relinks(binaries, f"sqlite://{data}/relinks.db", port)
        servers.append(relinks)
        url = f"http://127.0.0.1:{port}"
        _, _, body = api(url, "POST", "/api/v4/projects", {"name": "files"})
        packages = f"/api/v4/projects/{json.loads(body)['id']}/packages/generic/bench/1.0.0"
        targets = [
            Target("baseline", baseline.process, base_url, "/files/big.bin", "/files/small.bin", []),
            Target("relinks", relinks.process, url, f"{packages}/big.bin", f"{packages}/small.bin",
                   ["-H", f"PRIVATE-TOKEN: {harness.TOKEN}"]),
        ]

        out = subprocess.run(
            [bench, "hash-write", "--source", str(source), "--dir", str(data / "hash-write"),
             "--repetitions", str(uploads)],
            check=True, capture_output=True, text=True,
        )
        raw = json.loads(out.stdout.strip().splitlines()[-1])
        transfers(targets, "upload", lambda t: upload(t.big, source, t.headers), size, uploads)
        transfers(targets, "download", lambda t: download(t.big, t.headers), size, downloads)
        _, headers, _ = api(url, "HEAD", f"{packages}/big.bin")
        if headers.get("ETag") != f'"{digest}"':
            raise RuntimeError(f"relinks stored other bytes: ETag {headers.get('ETag')}, sent {digest}")
        for t in targets:
            upload(t.base + t.small, small, t.headers)
            small_downloads(t, seconds, connections, warmup)
    finally:
        for server in servers:
            server.stop()
    return {"size": size, "connections": connections, "raw": raw,
            "baseline": targets[0].figures, "relinks": targets[1].figures}


def report(figures):
    """The markdown section of bench/RESULTS.md."""
    raw, base, rel = figures["raw"], figures["baseline"], figures["relinks"]
    mib, connections = figures["size"] >> 20, figures["connections"]
    # The peak during the phase, and the RSS it started from.
    rss = lambda r: f"{r['peak_rss_mb']:.1f}" + (f" (from {r['rss_before_mb']:.1f})" if r["rss_before_mb"] else "")
    up_raw = rel["upload"]["mb_s"] / raw["mb_s"]
    down = rel["download"]["mb_s"] / base["download"]["mb_s"]
    small = rel["small"]["rps"] / base["small"]["rps"]
    lines = [
        f"\n## Files: {mib} MiB of random bytes, SQLite, storage in a local directory\n",
        "| Scenario | relinks | baseline | ratio | target | relinks peak RSS MB | baseline peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| upload {mib} MiB (PUT), MB/s; baseline: axum file server | {rel['upload']['mb_s']:,.0f} "
        f"| {base['upload']['mb_s']:,.0f} | {rel['upload']['mb_s'] / base['upload']['mb_s']:.2f} | | "
        f"{rss(rel['upload'])} | {rss(base['upload'])} |",
        f"| upload {mib} MiB (PUT), MB/s; baseline: raw SHA-256 + write + fsync | {rel['upload']['mb_s']:,.0f} "
        f"| {raw['mb_s']:,.0f} | {up_raw:.2f} | {TARGETS['upload_raw']}x | | |",
        f"| download {mib} MiB (GET), MB/s; baseline: axum file server | {rel['download']['mb_s']:,.0f} "
        f"| {base['download']['mb_s']:,.0f} | {down:.2f} | {TARGETS['download']}x | "
        f"{rss(rel['download'])} | {rss(base['download'])} |",
        f"| 1 MiB downloads, {connections} at a time (GET), req/s; baseline: axum file server | {rel['small']['rps']:,.0f} "
        f"| {base['small']['rps']:,.0f} | {small:.2f} | {TARGETS['small']}x | {rss(rel['small'])} | {rss(base['small'])} |",
        f"| 1 MiB downloads, {connections} at a time (GET), p99 ms | {rel['small']['p99'] / 1000:.2f} | {base['small']['p99'] / 1000:.2f} "
        f"| | | | |",
    ]
    spread = lambda r: f"{min(r['runs']):,.0f}–{max(r['runs']):,.0f}"
    lines.append(
        f"\nBig transfers by curl from a file in the same directory, to relinks and the baseline in turn, "
        f"{len(rel['upload']['runs'])} uploads and {len(rel['download']['runs'])} downloads each: the median shown "
        f"(ranges: relinks uploads {spread(rel['upload'])}, downloads {spread(rel['download'])}; baseline uploads "
        f"{spread(base['upload'])}, downloads {spread(base['download'])} MB/s); MB = 10^6 bytes. "
        f"1 MiB downloads: wrk as above (non-2xx: relinks {rel['small']['status_errors']}, "
        f"baseline {base['small']['status_errors']})."
    )
    lines.append(
        f"Raw, in one process on this machine: SHA-256 {raw['sha256_mb_s']:,.0f} MB/s, SHA-1 {raw['sha1_mb_s']:,.0f}, "
        f"MD5 {raw['md5_mb_s']:,.0f}, write + fsync {raw['write_fsync_mb_s']:,.0f}, SHA-256 + write + fsync "
        f"{raw['mb_s']:,.0f} (relinks computes all three digests of an upload)."
    )
    cpu = lambda r: f"{r['server_cpu_s_per_gb']:.2f}"
    lines.append(
        f"Server CPU seconds per GB: uploads relinks {cpu(rel['upload'])}, baseline {cpu(base['upload'])}; "
        f"downloads relinks {cpu(rel['download'])}, baseline {cpu(base['download'])}. "
        f"curl's share of a core: uploads {rel['upload']['client_cpu_share']:.0%} (relinks), "
        f"{base['upload']['client_cpu_share']:.0%} (baseline); downloads {rel['download']['client_cpu_share']:.0%}, "
        f"{base['download']['client_cpu_share']:.0%}. Server CPU per 1 MiB download: relinks "
        f"{rel['small']['server_cpu_us_per_request']:,.0f} µs, baseline {base['small']['server_cpu_us_per_request']:,.0f} µs."
    )
    lines.append(
        "Peak RSS: VmHWM while each kind of transfer ran (reset before it), after the RSS it started from; relinks "
        "is started afresh for these scenarios, on an empty database."
    )
    lines.append(
        f"Targets: downloads {down:.2f}x the file server (target {TARGETS['download']}x), 1 MiB downloads "
        f"{small:.2f}x (target {TARGETS['small']}x), uploads {up_raw:.2f}x raw SHA-256 + write (target "
        f"{TARGETS['upload_raw']}x)."
    )
    return "\n".join(lines)
