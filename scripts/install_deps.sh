#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Installs the Debian 12 packages siamese's tests, examples and benchmarks need (only the missing ones).
# Usage: scripts/install_deps.sh [extra-package ...]
set -euo pipefail

packages=(cmake g++ make libeigen3-dev doctest-dev libbenchmark-dev libcli11-dev libstb-dev zlib1g-dev libpng-dev
    unzip python3 "$@")  # unzip and python3: the fetch scripts' tests

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install_deps: installing ${missing[*]}"
sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
