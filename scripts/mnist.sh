#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The MNIST example, end to end: installs what it needs, fetches MNIST (verified), builds the
# example and trains the tutorial's Siamese network with its defaults, then evaluates it.
# Usage: scripts/mnist.sh [train options...]     e.g. scripts/mnist.sh --threads 2 --out out/mnist
# Results land in out/mnist/ (model.ckpt, pairs.png, training_curve.svg, metrics.json).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

scripts/install_deps.sh
scripts/fetch_mnist.sh data/mnist
cmake -S . -B build/mnist -DCMAKE_BUILD_TYPE=Release -DSIAMESE_BUILD_TESTS=OFF -DSIAMESE_BUILD_BENCHMARKS=OFF \
    -DSIAMESE_BUILD_EXAMPLES=ON >/dev/null
cmake --build build/mnist -j "${SIAMESE_JOBS:-2}" --target mnist
exec build/mnist/examples/mnist/mnist train --data data/mnist "$@"
