#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Time one training step of the tutorial network in PyTorch and in siamese, alternately.

The step is the tutorial's: 100 pairs (both images of each pair through the backbone
Conv(1,32,3)-ReLU-Pool-Conv(32,64,3)-ReLU-Pool-Linear(1600,120)-ReLU-Linear(120,84), the head
Linear(84,1) on |e_l - e_r|, BCE, backward, SGD lr 0.001 momentum 0.1) on raw 0..255 pixels.

PyTorch runs in its best configuration measured on this machine: OPENBLAS_NUM_THREADS=1,
OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE unset, glibc malloc tuned not to return memory
(GLIBC_TUNABLES below), torch.set_num_threads(threads). siamese runs the benchmark binary's
train_step (built by scripts/bench.sh). Each round times PyTorch then siamese for every thread
count, so drifts in machine load hit both; the summary takes the median over rounds of each
run's median step, and the ratio of those.

Usage: benchmarks/compare_pytorch.py [--rounds 3] [--threads 1,2] [--pairs 100] [--json out.json]
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PYTHON = "/usr/bin/python3"  # Debian's interpreter, where python3-torch lives
TUNABLES = "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967295"


# ----------------------------------------------------------------------------- PyTorch side
def torch_worker(threads, pairs, steps, warmup, stacked):
    """Runs in its own process (the environment must be set before torch is imported)."""
    import torch
    import torch.nn as nn

    torch.set_num_threads(threads)
    torch.manual_seed(0)

    backbone = nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(1600, 120), nn.ReLU(), nn.Linear(120, 84))
    head = nn.Linear(84, 1)
    params = list(backbone.parameters()) + list(head.parameters())
    opt = torch.optim.SGD(params, lr=0.001, momentum=0.1)
    loss_fn = nn.BCELoss()

    def score(left, right):
        if stacked:  # one backbone call on both halves, as siamese does
            e = backbone(torch.cat([left, right]))
            el, er = e[:pairs], e[pairs:]
        else:  # the tutorial's two calls
            el, er = backbone(left), backbone(right)
        return torch.sigmoid(head(torch.abs(el - er)))

    gen = torch.Generator().manual_seed(1)
    left = torch.randint(0, 256, (pairs, 1, 28, 28), generator=gen).float()
    right = torch.randint(0, 256, (pairs, 1, 28, 28), generator=gen).float()
    target = torch.cat([torch.zeros(pairs // 2, 1), torch.ones(pairs - pairs // 2, 1)])

    times = []
    for k in range(warmup + steps):
        t0 = time.perf_counter()
        opt.zero_grad()
        loss = loss_fn(score(left, right), target)
        loss.backward()
        opt.step()
        dt = time.perf_counter() - t0
        if k >= warmup:
            times.append(dt * 1e3)
    print(json.dumps({"ms": times, "torch": torch.__version__}))


def torch_available():
    try:
        r = subprocess.run([PYTHON, "-c", "import torch"], capture_output=True, timeout=120)
        return r.returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def time_torch(threads, pairs, steps, warmup, stacked):
    env = dict(os.environ)
    env["OPENBLAS_NUM_THREADS"] = "1"
    env["OMP_NUM_THREADS"] = str(threads)
    env["GLIBC_TUNABLES"] = TUNABLES
    env.pop("OPENBLAS_CORETYPE", None)
    env.pop("OPENBLAS_L2_SIZE", None)
    cmd = [PYTHON, os.path.abspath(__file__), "--torch-worker", "--threads", str(threads), "--pairs", str(pairs),
           "--steps", str(steps), "--warmup", str(warmup)] + (["--torch-stacked"] if stacked else [])
    out = subprocess.run(cmd, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


# ----------------------------------------------------------------------------- siamese side
def bench_binary(path):
    if path:
        return path
    build = os.environ.get("SIAMESE_BENCH_BUILD_DIR", os.path.join(ROOT, "build", "bench"))
    binary = os.path.join(build, "benchmarks", "siamese_bench")
    if not os.path.exists(binary):
        print("building the benchmarks (scripts/bench.sh) ...", file=sys.stderr)
        subprocess.run([os.path.join(ROOT, "scripts", "bench.sh"), "--benchmark_list_tests=true"], check=True,
                       stdout=subprocess.DEVNULL)
    return binary


def time_siamese(binary, threads, pairs, repetitions):
    cmd = [binary, f"--benchmark_filter=^train_step/pairs:{pairs}/threads:{threads}/", "--benchmark_format=json",
           f"--benchmark_repetitions={repetitions}"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    runs = [b for b in json.loads(out)["benchmarks"] if b.get("run_type") == "iteration"]
    if not runs:
        raise RuntimeError("no train_step result from " + " ".join(cmd))
    return [b["real_time"] for b in runs]  # ms (the benchmark's unit)


# ----------------------------------------------------------------------------- driver
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--pairs", default="100", help="comma-separated batch sizes in pairs")
    ap.add_argument("--steps", type=int, default=60, help="timed PyTorch steps per run")
    ap.add_argument("--warmup", type=int, default=15)
    ap.add_argument("--repetitions", type=int, default=5, help="Google Benchmark repetitions per run")
    ap.add_argument("--bench", default=None, help="path of siamese_bench (default: build/bench)")
    ap.add_argument("--json", default=None, help="write all measurements here (for plot_scaling.py)")
    ap.add_argument("--torch-stacked", action="store_true",
                    help="PyTorch runs one backbone call on both halves (siamese's layout) instead of two")
    ap.add_argument("--torch-worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    threads_list = [int(t) for t in args.threads.split(",")]
    pairs_list = [int(p) for p in args.pairs.split(",")]

    if args.torch_worker:
        torch_worker(threads_list[0], pairs_list[0], args.steps, args.warmup, args.torch_stacked)
        return

    have_torch = torch_available()
    if not have_torch:
        print(f"PyTorch is not installed for {PYTHON} (Debian: apt-get install python3-torch): "
              "timing siamese only.", file=sys.stderr)
    binary = bench_binary(args.bench)

    results = {}  # (threads, pairs) -> {"torch": [...medians], "siamese": [...medians]}
    for rnd in range(args.rounds):
        for threads in threads_list:
            for pairs in pairs_list:
                r = results.setdefault((threads, pairs), {"torch": [], "torch_min": [], "siamese": [],
                                                          "siamese_min": []})
                if have_torch:
                    t = time_torch(threads, pairs, args.steps, args.warmup, args.torch_stacked)["ms"]
                    r["torch"].append(statistics.median(t))
                    r["torch_min"].append(min(t))
                s = time_siamese(binary, threads, pairs, args.repetitions)
                r["siamese"].append(statistics.median(s))
                r["siamese_min"].append(min(s))
                line = f"round {rnd + 1}/{args.rounds} threads {threads} pairs {pairs}: siamese {r['siamese'][-1]:.2f} ms"
                if have_torch:
                    line += f", PyTorch {r['torch'][-1]:.2f} ms"
                print(line, file=sys.stderr, flush=True)

    layout = "one stacked backbone call" if args.torch_stacked else "two backbone calls, as in the tutorial"
    print(f"\ntraining step, ms (median over {args.rounds} rounds of each run's median; min in brackets)")
    print(f"PyTorch: {layout}" if have_torch else "PyTorch: not installed")
    print(f"{'threads':>7} {'pairs':>5} {'PyTorch':>16} {'siamese':>16} {'siamese/PyTorch':>16}")
    for (threads, pairs), r in sorted(results.items()):
        ours = statistics.median(r["siamese"])
        ours_txt = f"{ours:7.2f} ({min(r['siamese_min']):6.2f})"
        if have_torch:
            theirs = statistics.median(r["torch"])
            print(f"{threads:>7} {pairs:>5} {theirs:7.2f} ({min(r['torch_min']):6.2f}) {ours_txt} {ours / theirs:16.3f}")
        else:
            print(f"{threads:>7} {pairs:>5} {'-':>16} {ours_txt} {'-':>16}")
    for pairs in pairs_list:
        one, two = results.get((1, pairs)), results.get((2, pairs))
        if one and two:
            print(f"siamese 2-thread speed-up at {pairs} pairs: "
                  f"{statistics.median(one['siamese']) / statistics.median(two['siamese']):.2f}x")

    if args.json:
        with open(args.json, "w") as f:
            json.dump({"torch_layout": layout if have_torch else None,
                       "results": [{"threads": t, "pairs": p, **r} for (t, p), r in sorted(results.items())]},
                      f, indent=1)


if __name__ == "__main__":
    main()
