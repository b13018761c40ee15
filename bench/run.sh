#!/usr/bin/env bash
# Runs the shared side-by-side benchmark (../shared/bench) with this checkout as Covet.
# The harness folder is read-only, so it is copied to a temp dir first.
#   npm run bench                      # HTTP scenarios, 3 rounds, the router micro-benchmark, then bench/static, bench/upload, bench/security and bench/database
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
echo
# Database: GET /users/{id} through the ORM vs the bare driver (better-sqlite3, pg) in the same
# run; PostgreSQL when DATABASE_URL is set (bash scripts/services.sh start FILE; . FILE).
node "$ROOT/bench/database/run.mjs"
echo
# Templates: renders/s of a 100-row page (extends, loop, filters, autoescape) vs Nunjucks
# (compiled once) and Eta, one process pinned to one CPU. bench/templates has its own package.json.
TEMPLATES_BENCH="$ROOT/bench/templates"
[ -d "$TEMPLATES_BENCH/node_modules" ] || (cd "$TEMPLATES_BENCH" && npm ci --no-audit --no-fund >/dev/null)
node "$TEMPLATES_BENCH/run.mjs"
echo
# Monitoring: req/s of one route with metrics + tracing (OTLP export to a loopback collector) +
# request logging all on vs all off (target >= 0.85x), and the metrics middleware vs prom-client
# doing the same work (HTTP and in-process). Uses prom-client from the devDependencies and dist/.
# bench/monitoring/peer has its own package.json: Fastify, the OpenTelemetry SDK and pino are
# the peers of that benchmark, not dependencies of Covet.
MONITORING_PEER="$ROOT/bench/monitoring/peer"
[ -d "$MONITORING_PEER/node_modules" ] || (cd "$MONITORING_PEER" && npm ci --no-audit --no-fund >/dev/null)
node "$ROOT/bench/monitoring/run.mjs"
echo
# Cache: MemoryCache get/set ops/s vs lru-cache (devDependency) in the same process pinned to one
# CPU (target: get >= 1.0x), and a cachePage hit's req/s vs the plain JSON route it caches
# (target >= 0.95x), server and wrk pinned to different CPUs. Uses dist/ from the build.
node "$ROOT/bench/cache/run.mjs"
echo
# WebSocket: echo round trips/s (plain and permessage-deflate) and broadcast fan-out to 1,000
# clients (messages/s, server CPU per message, peak RSS) vs `ws` and @fastify/websocket with the
# same compression settings, servers and the `ws` load generator pinned to different CPUs.
# bench/websocket has its own package.json.
WEBSOCKET_BENCH="$ROOT/bench/websocket"
[ -d "$WEBSOCKET_BENCH/node_modules" ] || (cd "$WEBSOCKET_BENCH" && npm ci --no-audit --no-fund >/dev/null)
node "$WEBSOCKET_BENCH/run.mjs"
echo
# Cluster mode: `covet run --workers 2` vs `--workers 1` (target >= 1.6x) and vs Fastify behind
# node:cluster with 2 workers (target >= 1.0x); wrk shares the 2 cores with the workers.
# bench/cluster has its own package.json (fastify).
CLUSTER_BENCH="$ROOT/bench/cluster"
[ -d "$CLUSTER_BENCH/node_modules" ] || (cd "$CLUSTER_BENCH" && npm ci --no-audit --no-fund >/dev/null)
node "$CLUSTER_BENCH/run.mjs"
echo
# Rate limiting: req/s of a rate-limited route (memory and Redis storage) vs the same route
# unlimited, and vs Fastify + @fastify/rate-limit on the same storage (target >= 1.0x); Redis rows
# when REDIS_URL is set. bench/rate-limit has its own package.json (fastify, @fastify/rate-limit).
RATE_LIMIT_BENCH="$ROOT/bench/rate-limit"
[ -d "$RATE_LIMIT_BENCH/node_modules" ] || (cd "$RATE_LIMIT_BENCH" && npm ci --no-audit --no-fund >/dev/null)
node "$RATE_LIMIT_BENCH/run.mjs"
echo
# Typed client: type-checks generated apps of 20, 200 and 400 chained routes (path params, Zod
# query/body schemas) with and without a covet/client file calling every route, and prints
# tsc's check time and instantiation count (--extendedDiagnostics). Instantiations are exact;
# times are the median of 3 runs.
node "$ROOT/bench/typecheck/run.mjs"
echo
# Response serialization: the compiled serializer of a route's `response` schema vs JSON.stringify
# vs fast-json-stringify (devDependency) on a 16-field object and an array of 100 (ops/s, pinned to
# one CPU, same run), and req/s of a route with a response schema vs the same route without one.
node "$ROOT/bench/serializer/run.mjs"
echo
# Covet Console: req/s of a JSON route (and a SQLite route) with no console vs app.console()
# registered but off (production without a token) vs on (token, recording every request);
# targets: off = none within noise, on >= 0.9x. Also CPU time per request in process. Uses dist/.
node "$ROOT/bench/console/run.mjs"
