#!/usr/bin/env bash
# bench/run.sh gateway -> bench/results/gateway.json (results schema: bench/RESULTS.md)
# The gateway's authentication and rate limiting, on loopback, against a trivial backend (a JDK HTTP server
# answering a fixed small JSON, standing in for every service) and an embedded PostgreSQL (the key store and
# the shared rate-limit buckets):
#  (1) overhead: p50/p99 of a sequential GET /api/v1/training/jobs through three gateways running side by side
#      (security chain bypassed for /api/**; API key authentication only; authentication + rate limits with
#      buckets never emptied) and of the backend called directly, in interleaved rounds after a warm-up;
#  (2) sustained: an open-loop load of RATE calls/s for DURATION s through a gateway with authentication and
#      rate limits on (80% reads, 15% job submissions, 5% generations of 8 tokens), the submission limit set
#      below the offered rate so some submissions get 429; outcomes by status, p50/p99 from each call's due time.
# Environment: WARMUP (sequential GETs per target before measuring, default 3000), PER_ROUND (default 2000),
# ROUNDS (default 3); RATE (default 500), DURATION (seconds, default 60), SUBMISSIONS_PER_MINUTE (the submission
# bucket's capacity, refilled over a minute, default 1500: about 1500 + 1500 pass of the 4500 offered in 60 s),
# MAX_IN_FLIGHT (default 512; a call beyond it is not sent and counts as an error); SKIP_OVERHEAD=1 /
# SKIP_SUSTAINED=1 skip a part; SUSTAINED_DIRECT=true sends (2) to the backend without a gateway and
# SUSTAINED_RATE_LIMITS=false to a gateway without rate limits (controls).
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
if [[ -d /usr/lib/jvm/temurin-25-jdk-amd64 ]]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
work="bench/results/tmp/gateway"
rm -rf "$work"
mkdir -p "$work" bench/results

echo "== building the gateway's classes and bench/gateway"
gw=(-q -pl gateway compile dependency:build-classpath "-Dmdep.outputFile=$root/$work/gateway-classpath.txt"
    -Dmdep.includeScope=runtime)
./mvnw -o "${gw[@]}" || ./mvnw "${gw[@]}"
bench=(-q -f bench/gateway/pom.xml package dependency:build-classpath "-Dmdep.outputFile=$root/$work/classpath.txt"
       -Dmdep.includeScope=runtime)
./mvnw -o "${bench[@]}" || ./mvnw "${bench[@]}"
classpath="$work/bench-classes:$(cat "$work/classpath.txt")"
# a copy of the classes just compiled: the gateway JVMs start over minutes, and a build of the gateway module
# meanwhile (a shared working tree) must not change or remove classes under them
cp -r gateway/target/classes "$work/gateway-classes"
cp -r bench/gateway/target/classes "$work/bench-classes"
# the gateway's JVMs: its own classes and runtime classpath, plus the bench's launcher (and the OpenEdge
# configuration it adds only to the "open" gateway)
gateway_classpath="$root/$work/gateway-classes:$(cat "$work/gateway-classpath.txt"):$root/$work/bench-classes"

machine="$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores, Linux $(uname -r), $("$JAVA" -version 2>&1 | head -1)"
bench_java() {
  "$JAVA" -Xmx1g -Dbench.machine="$machine" -Dbench.sustained.direct="${SUSTAINED_DIRECT:-0}" \
    -Dbench.sustained.rate-limits="${SUSTAINED_RATE_LIMITS:-true}" -cp "$classpath" dev.divergence.bench.gateway.GatewayBenchmark "$@" 2>&1 \
    | grep --line-buffered -vE "^\[main\] (INFO|WARN)|^WARNING"
}

cut -d' ' -f1-3 /proc/loadavg > "$work/load_before.txt"
# each part waits for an idle machine and is measured again when other work disturbed it (bench/quiet.sh);
# the gateways are children of the measured command, but the embedded PostgreSQL server detaches from it
# (pg_ctl), so its CPU time counts as "other work" here. Every try's load: bench/results/gateway.load.jsonl
export QUIET_LOG="$work/load.jsonl"
# shellcheck source=bench/quiet.sh
source bench/quiet.sh
if [[ "${SKIP_OVERHEAD:-0}" == "1" ]]; then
  echo "== SKIP_OVERHEAD=1: (1) not measured"
else
  echo "== (1) overhead of authentication and rate limits"
  quiet_group overhead bench_java overhead "$work/overhead.json" "$gateway_classpath" "$work/overhead" \
    "${WARMUP:-3000}" "${PER_ROUND:-2000}" "${ROUNDS:-3}"
fi
if [[ "${SKIP_SUSTAINED:-0}" == "1" ]]; then
  echo "== SKIP_SUSTAINED=1: (2) not measured"
else
  echo "== (2) sustained load"
  quiet_group sustained bench_java sustained "$work/sustained.json" "$gateway_classpath" "$work/sustained" \
    "${RATE:-500}" "${DURATION:-60}" "${SUBMISSIONS_PER_MINUTE:-1500}" "${MAX_IN_FLIGHT:-512}"
fi
cut -d' ' -f1-3 /proc/loadavg > "$work/load_after.txt"

echo "== results"
command="bench/run.sh gateway"
for var in WARMUP PER_ROUND ROUNDS RATE DURATION SUBMISSIONS_PER_MINUTE MAX_IN_FLIGHT SKIP_OVERHEAD SKIP_SUSTAINED SUSTAINED_DIRECT SUSTAINED_RATE_LIMITS; do
  if [[ -n "${!var:-}" ]]; then command="$var=${!var} $command"; fi
done
"$JAVA" -cp "$classpath" dev.divergence.bench.gateway.GatewayBenchmark combine "$work" bench/results/gateway.json "$command" "$machine"
cp "$work/load.jsonl" bench/results/gateway.load.jsonl
cat bench/results/gateway.json
