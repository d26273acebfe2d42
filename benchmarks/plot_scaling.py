#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Draw ms per training step against batch size (pairs) for 1 and 2 threads as an SVG.

Input: the --json file of benchmarks/compare_pytorch.py (run with --pairs 25,50,100,200).
Output: a self-contained SVG (no plotting library needed), siamese solid, PyTorch dashed.

Usage: benchmarks/plot_scaling.py results.json docs/performance_scaling.svg
"""
import json
import math
import statistics
import sys

W, H = 720, 440
LEFT, RIGHT, TOP, BOTTOM = 70, 200, 40, 60
COLORS = {1: "#1f77b4", 2: "#d62728"}


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    with open(sys.argv[1]) as f:
        data = json.load(f)
    series = {}  # (who, threads) -> [(pairs, ms)]
    for r in data["results"]:
        for who in ("siamese", "torch"):
            if r.get(who):
                series.setdefault((who, r["threads"]), []).append((r["pairs"], statistics.median(r[who])))
    if not series:
        sys.exit("no measurements in " + sys.argv[1])
    for pts in series.values():
        pts.sort()

    pairs = sorted({p for pts in series.values() for p, _ in pts})
    ymax = max(ms for pts in series.values() for _, ms in pts)
    step = 10 ** math.floor(math.log10(ymax / 5)) if ymax > 0 else 1
    for m in (1, 2, 5, 10):
        if ymax / (m * step) <= 8:
            step *= m
            break
    ytop = step * math.ceil(ymax / step)
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    lx = [math.log2(p) for p in pairs]
    x0, x1 = (lx[0] - 0.25, lx[-1] + 0.25) if len(lx) > 1 else (lx[0] - 1, lx[0] + 1)

    def X(p):
        return LEFT + (math.log2(p) - x0) / (x1 - x0) * pw

    def Y(ms):
        return TOP + ph - ms / ytop * ph

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
           'font-family="DejaVu Sans, Arial, sans-serif" font-size="12">',
           f'<rect width="{W}" height="{H}" fill="white"/>',
           f'<text x="{LEFT}" y="22" font-size="15">Tutorial network, one training step (SGD, pairs of 28x28 images)</text>']
    # grid and y ticks
    y = 0.0
    while y <= ytop + 1e-9:
        out.append(f'<line x1="{LEFT}" y1="{Y(y):.1f}" x2="{LEFT + pw}" y2="{Y(y):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{LEFT - 8}" y="{Y(y) + 4:.1f}" text-anchor="end">{y:g}</text>')
        y += step
    for p in pairs:
        out.append(f'<line x1="{X(p):.1f}" y1="{TOP}" x2="{X(p):.1f}" y2="{TOP + ph}" stroke="#eee"/>')
        out.append(f'<text x="{X(p):.1f}" y="{TOP + ph + 18}" text-anchor="middle">{p}</text>')
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#444"/>')
    out.append(f'<text x="{LEFT + pw / 2}" y="{H - 18}" text-anchor="middle">pairs per step (log scale)</text>')
    out.append(f'<text transform="translate(20,{TOP + ph / 2}) rotate(-90)" text-anchor="middle">ms per step</text>')

    legend_y = TOP + 10
    for (who, threads), pts in sorted(series.items(), key=lambda kv: (kv[0][0] != "siamese", kv[0][1])):
        color = COLORS.get(threads, "#2ca02c")
        dash = "" if who == "siamese" else ' stroke-dasharray="6,4"'
        path = " ".join(f"{X(p):.1f},{Y(ms):.1f}" for p, ms in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
        for p, ms in pts:
            shape = (f'<circle cx="{X(p):.1f}" cy="{Y(ms):.1f}" r="3.5" fill="{color}"/>' if who == "siamese" else
                     f'<rect x="{X(p) - 3:.1f}" y="{Y(ms) - 3:.1f}" width="6" height="6" fill="white" stroke="{color}"/>')
            out.append(shape)
        name = "siamese" if who == "siamese" else "PyTorch"
        label = f"{name}, {threads} thread{'s' if threads > 1 else ''}"
        lx0 = LEFT + pw + 15
        out.append(f'<line x1="{lx0}" y1="{legend_y}" x2="{lx0 + 28}" y2="{legend_y}" stroke="{color}" '
                   f'stroke-width="2"{dash}/>')
        out.append(f'<text x="{lx0 + 34}" y="{legend_y + 4}">{esc(label)}</text>')
        legend_y += 20
    if data.get("torch_layout"):
        out.append(f'<text x="{LEFT + pw + 15}" y="{legend_y + 10}" font-size="10">PyTorch: '
                   f'{esc(data["torch_layout"].split(",")[0])}</text>')
    out.append("</svg>")
    with open(sys.argv[2], "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
