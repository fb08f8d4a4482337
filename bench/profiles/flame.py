#!/usr/bin/env python3
"""flame.py PERF_SCRIPT_TXT OUT.svg TITLE: folds `perf script -F comm,tid,ip,sym,dso` stacks and
draws a flame graph (root at the bottom, width = samples), as inferno/flamegraph.pl do."""
import html, re, sys, collections, zlib
src, out, title = sys.argv[1], sys.argv[2], sys.argv[3]
folded = collections.Counter(); cur = None
def flush():
    if cur:
        folded[";".join(reversed(cur))] += 1
for line in open(src):
    if not line.strip():
        flush(); cur = None; continue
    if line[0] not in " \t":
        cur = []; continue
    m = re.match(r"\s*[0-9a-f]+ (.*) \((.*)\)$", line.rstrip())
    if m and cur is not None:
        sym = m.group(1).replace(";", ":")
        if sym in ("[unknown]",) or sym.startswith("0x"):
            continue
        cur.append(sym)
flush()
total = sum(folded.values())
tree = {}
for stack, n in folded.items():
    node = tree
    for f in stack.split(";"):
        child = node.setdefault(f, [0, {}])
        child[0] += n
        node = child[1]
W, ROW, MIN = 1800, 16, 0.5
depth_max = [0]
rects = []
def walk(node, x, depth):
    for name, (n, kids) in sorted(node.items()):
        w = n / total * (W - 20)
        if w >= MIN:
            rects.append((x, depth, w, name, n))
            depth_max[0] = max(depth_max[0], depth)
            walk(kids, x, depth + 1)
        x += w
walk(tree, 10, 0)
H = (depth_max[0] + 3) * ROW + 40
def color(name):
    h = zlib.crc32(name.encode())
    if "[k]" in name or name.startswith(("__x64", "do_", "tcp_", "ip_", "sock_", "__sys", "entry_SYSCALL")):
        return f"rgb({200 + h % 55},{120 + h % 60},{60})"
    if name.startswith("relinks::") or "relinks::" in name[:40]:
        return f"rgb({60},{150 + h % 80},{200 + h % 55})"
    return f"rgb({220 + h % 35},{90 + h % 100},{40 + h % 40})"
o = [f'<?xml version="1.0" standalone="no"?><svg version="1.1" width="{W}" height="{H}" xmlns="http://www.w3.org/2000/svg" font-family="Verdana" font-size="11">',
     f'<rect width="100%" height="100%" fill="#f8f8f8"/><text x="{W/2}" y="20" text-anchor="middle" font-size="15">{html.escape(title)}</text>']
for x, d, w, name, n in rects:
    y = H - 10 - (d + 1) * ROW
    label = html.escape(name)
    o.append(f'<g><title>{label} ({n} samples, {100*n/total:.2f}%)</title><rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{ROW-1}" fill="{color(name)}" rx="2"/>')
    chars = int(w / 7)
    if chars >= 3:
        t = name if len(name) <= chars else name[:chars - 2] + ".."
        o.append(f'<text x="{x+3:.1f}" y="{y+11}">{html.escape(t)}</text>')
    o.append('</g>')
o.append('</svg>')
open(out, "w").write("\n".join(o))
print(out, total, "samples,", len(rects), "frames")
