#!/usr/bin/env bash
# Runs the shared side-by-side benchmark (../shared/bench) with this checkout as Covet.
# The harness folder is read-only, so it is copied to a temp dir first.
#   npm run bench                      # HTTP scenarios, 3 rounds, the router micro-benchmark, then bench/static and bench/upload
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
echo
# Static files (small-file req/s) and a 10 MiB streamed download vs Fastify + @fastify/static.
# bench/static has its own package.json (fastify is not a dependency of Covet).
STATIC_BENCH="$ROOT/bench/static"
[ -d "$STATIC_BENCH/node_modules" ] || (cd "$STATIC_BENCH" && npm ci --no-audit --no-fund >/dev/null)
node "$STATIC_BENCH/run.mjs"
echo
# Multipart uploads: 10 MiB files (MB/s, peak RSS above idle) vs Fastify + @fastify/multipart,
# and one 100 MiB upload's peak RSS. bench/upload has its own package.json too.
UPLOAD_BENCH="$ROOT/bench/upload"
[ -d "$UPLOAD_BENCH/node_modules" ] || (cd "$UPLOAD_BENCH" && npm ci --no-audit --no-fund >/dev/null)
node "$UPLOAD_BENCH/run.mjs"
echo
# Security: JWT verify/sec (HS256, ES256) vs jose, and a requireToken route's req/s vs the same
# route unprotected. Uses jose from the project's devDependencies and dist/ from the build.
node "$ROOT/bench/security/run.mjs"
