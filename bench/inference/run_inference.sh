#!/usr/bin/env bash
# bench/run.sh inference -> bench/results/inference.json (results schema: bench/RESULTS.md)
# Generation throughput (tokens/s) and p50/p99 latency per generation at concurrency 1, 8, 32 for
# the tiny LM, greedy, 32 tokens:
#  (a) the embedded model server called directly over gRPC, with the oldest sequence batching
#      strategy on and off (batching_gain_c32 = tokens/s on / off);
#  (b, c) the inference service's POST /api/v1/inference/generate and the same through the
#      gateway, beside the platform's own model server called directly over gRPC
#      (service_overhead_p50 = direct p50 / gateway p50).
# (b, c) start the platform: ./platform up --data-dir <tmp> --port-offset $PORT_OFFSET, stopped after.
# Environment: ROUNDS (default 3); BENCH_THREADS libtorch intra-op threads (default 1);
# SKIP_SERVICE=1 skips (b, c), SKIP_DIRECT=1 skips (a); PORT_OFFSET (default 700); SERVICE_MODEL the catalog name of the
# tiny LM in the inference service (default tiny-lm); MODEL_WAIT seconds to wait for it to be READY
# (default 600: on the first start of its data directory the service trains its built-in models); PYTHON.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
if [[ -d /usr/lib/jvm/temurin-25-jdk-amd64 ]]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
PYTHON="${PYTHON:-/usr/bin/python3}"
threads="${BENCH_THREADS:-1}"
rounds="${ROUNDS:-3}"
offset="${PORT_OFFSET:-700}"
model="${SERVICE_MODEL:-tiny-lm}"
work="bench/results/tmp/inference"
rm -rf "$work"
mkdir -p "$work" bench/results

echo "== building libs/model, libs/model-server and bench/inference"
./mvnw -q -o -pl libs/model,libs/model-server -am install -DskipTests || ./mvnw -q -pl libs/model,libs/model-server -am install -DskipTests
bench=(-q -f bench/inference/pom.xml package dependency:build-classpath "-Dmdep.outputFile=$root/$work/classpath.txt"
       -Dmdep.includeScope=runtime)
./mvnw -o "${bench[@]}" || ./mvnw "${bench[@]}"
classpath="bench/inference/target/classes:$(cat "$work/classpath.txt")"
load() {
  OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads" "$JAVA" -Dai.djl.offline=true \
    -Dai.djl.pytorch.num_threads="$threads" -Dai.djl.pytorch.num_interop_threads=1 \
    -cp "$classpath" dev.divergence.bench.inference.InferenceBenchmark "$@" 2>&1 | grep -vE "^\[main\] (INFO|WARN)|^WARNING"
}

cut -d' ' -f1-3 /proc/loadavg > "$work/load_before.txt"
# (a) waits for an idle machine and is measured again when other work disturbed it (bench/quiet.sh);
# (b, c) measure processes of the platform, which are not this script's children, so there every round
# only waits for the idle platform first. Every try's load: bench/results/inference.load.jsonl
export QUIET_LOG="$work/load.jsonl"
# shellcheck source=bench/quiet.sh
source bench/quiet.sh
if [[ "${SKIP_DIRECT:-0}" == "1" ]]; then
  echo "== SKIP_DIRECT=1: (a) not measured"
else
  echo "== (a) embedded model server over gRPC, oldest sequence batching on and off ($rounds rounds)"
  quiet_group direct load direct "$work/direct_1.json" bench/inference/target/tiny-assets "$rounds" | tee "$work/direct.log"
  grep "^server statistics" "$work/direct.log" > "$work/server_statistics.txt" || true
fi

if [[ "${SKIP_SERVICE:-0}" == "1" ]]; then
  echo "SKIP_SERVICE=1: the service and gateway were not measured" > "$work/skipped.txt"
else
  # ./platform up builds only what is missing: rebuild the jars, so the current code is measured
  echo "== (b, c) building the services and the gateway"
  ./mvnw -q -o -pl gateway,services/training,services/inference,services/evaluation,services/merging,ops/local -am install -DskipTests \
    || ./mvnw -q -pl gateway,services/training,services/inference,services/evaluation,services/merging,ops/local -am install -DskipTests
  echo "== (b, c) platform up (port offset $offset)"
  # kept between runs: the service makes its built-in tiny models once per data directory
  platform_dir="bench/results/tmp/inference-platform"
  ./platform up --data-dir "$platform_dir" --port-offset "$offset" > "$work/platform.log" 2>&1 &
  platform_pid=$!
  stop_platform() {
    ./platform down --data-dir "$platform_dir" > /dev/null 2>&1 || kill "$platform_pid" 2> /dev/null || true
    wait "$platform_pid" 2> /dev/null || true
  }
  trap stop_platform EXIT
  gateway="http://localhost:$((8080 + offset))"
  service="http://localhost:$((8082 + offset))"
  grpc="localhost:$((8001 + offset))"  # the inference service's embedded model server (Triton's ports, offset too)
  ready=0
  for _ in $(seq 1 150); do
    if grep -q "components ready" "$work/platform.log" 2> /dev/null; then ready=1; break; fi
    if ! kill -0 "$platform_pid" 2> /dev/null; then break; fi
    sleep 2
  done
  # credentials (docs/security.md): the bootstrap admin key for the gateway, and for the service's own port
  # an identity token signed with the platform's identity secret, as the gateway would send
  api_key=$(cat "$platform_dir/secrets/admin-api-key" 2> /dev/null || true)
  identity=$("$PYTHON" - "$platform_dir/secrets/identity-secret" <<'PY' 2> /dev/null || true
import base64, hashlib, hmac, json, sys, time
secret = base64.b64decode(open(sys.argv[1]).read().strip())
b64 = lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
now = int(time.time())
head = b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
claims = b64(json.dumps({"iss": "bench", "sub": "service:bench", "tenant": "default", "roles": ["submitter"],
                         "iat": now, "exp": now + 3600}).encode())
print(head + "." + claims + "." + b64(hmac.new(secret, (head + "." + claims).encode(), hashlib.sha256).digest()))
PY
)
  # the built-in models become servable on a background thread after start-up (made on the first start)
  state=""
  if [[ "$ready" == "1" ]]; then
    for _ in $(seq 1 $(( ${MODEL_WAIT:-600} / 5 ))); do
      state=$(curl -s -H "X-Divergence-Identity: $identity" "$service/api/v1/inference/models/$model" | sed -n 's/.*"state":"\([A-Z]*\)".*/\1/p' || true)
      if [[ "$state" == "READY" || "$state" == "FAILED" ]] || ! kill -0 "$platform_pid" 2> /dev/null; then break; fi
      sleep 5
    done
    echo "== $model is ${state:-unknown} in the inference service"
  fi
  probe='{"model":"'"$model"'","prompt":"12+7=","maxTokens":4,"strategy":{"name":"greedy"}}'
  status=$(curl -s -o "$work/probe.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    -H "X-Divergence-Identity: $identity" -d "$probe" \
    "$service/api/v1/inference/generate" || echo 000)
  if [[ "$ready" != "1" ]]; then
    echo "the platform did not become ready; see $work/platform.log" | tee "$work/skipped.txt"
  elif [[ "$status" != "200" ]]; then
    echo "POST $service/api/v1/inference/generate answered $status ($(head -c 300 "$work/probe.json" 2> /dev/null)): service and gateway not measured" \
      | tee "$work/skipped.txt"
  else
    for round in $(seq 1 "$rounds"); do
      # the platform's own background work (Kafka, relays, health checks) is allowed, nothing more
      busy=$(QUIET_MAX_BUSY_CORES="${QUIET_MAX_PLATFORM_CORES:-0.4}" quiet_wait) || true
      printf '{"group":"service/%s","busy_cores_before":%s,"loadavg_before":"%s"}\n' "$round" "$busy" \
        "$(cut -d' ' -f1-3 /proc/loadavg)" >> "$QUIET_LOG"
      echo "== round $round: the platform's model server over gRPC ($grpc, ${model}__decode)"
      load grpc "$work/platform_grpc_$round.json" "$grpc" platform-grpc 1 "${model}__decode"
      echo "== round $round: inference service ($service)"
      BENCH_IDENTITY="$identity" load http "$work/service_$round.json" "$service" service 1 "$model"
      echo "== round $round: gateway ($gateway)"
      BENCH_API_KEY="$api_key" load http "$work/gateway_$round.json" "$gateway" gateway 1 "$model"
    done
  fi
  stop_platform
  trap - EXIT
fi

cut -d' ' -f1-3 /proc/loadavg > "$work/load_after.txt"
echo "== results"
"$PYTHON" bench/inference/combine.py "$work" bench/results/inference.json "bench/run.sh inference"
cp "$work/load.jsonl" bench/results/inference.load.jsonl
