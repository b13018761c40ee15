#!/usr/bin/env bash
# Runs the shared side-by-side benchmark (../shared/bench) with this checkout as Covet.
# The harness folder is read-only, so it is copied to a temp dir first.
#   npm run bench                      # HTTP scenarios, 3 rounds, then the router micro-benchmark
#   npm run bench -- --only=fastify    # extra arguments go to run.mjs
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SRC="${COVET_BENCH_DIR:-$ROOT/../shared/bench}"
[ -f "$SRC/run.mjs" ] || { echo "bench harness not found at $SRC (set COVET_BENCH_DIR)" >&2; exit 2; }
WORK="${TMPDIR:-/tmp}/covet-bench"
mkdir -p "$WORK"
cp -r "$SRC/." "$WORK/"
cd "$WORK"
[ -d node_modules ] || npm ci --no-audit --no-fund >/dev/null
export COVET_DIR="$ROOT"
if [ "$#" -eq 0 ]; then set -- --rounds=3 --duration=5; fi
node run.mjs "$@"
echo
taskset -c 1 node router.mjs --rounds=7 2>/dev/null || node router.mjs --rounds=7
