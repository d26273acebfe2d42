#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Checks that every C++ source follows .clang-format (Debian 12's clang-format 14), or rewrites them.
# Usage: scripts/format.sh          lists the files that differ and exits 1 if any does
#        scripts/format.sh --fix    formats them in place
set -euo pipefail
unset CDPATH  # exported, cd prints the folder it finds there: $(cd DIR && pwd) gave it twice
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

scripts/install_deps.sh clang-format

# From git, which must answer: outside a clone (or without git) the list was empty, and the
# check passed having checked nothing.
listed="$(git ls-files '*.hpp' '*.cpp')" || { echo "format: cannot list the sources with git ls-files" >&2; exit 1; }
mapfile -t sources <<<"$listed"
[ -n "$listed" ] || { echo "format: git ls-files lists no C++ sources" >&2; exit 1; }
if [ "${1:-}" = "--fix" ]; then
    clang-format -i "${sources[@]}"
    exit 0
fi
[ $# -eq 0 ] || { echo "usage: scripts/format.sh [--fix]" >&2; exit 2; }

unformatted=()
for f in "${sources[@]}"; do
    clang-format "$f" | cmp -s "$f" - || unformatted+=("$f")
done
if [ ${#unformatted[@]} -gt 0 ]; then
    echo "format: ${#unformatted[@]} of ${#sources[@]} files differ from .clang-format (scripts/format.sh --fix):"
    printf '  %s\n' "${unformatted[@]}"
    exit 1
fi
echo "format: all ${#sources[@]} C++ sources follow .clang-format"
