#!/usr/bin/env bash
# Writes the metric names the platform really exports to
# ops/observability/src/test/resources/exported-metrics.txt, the set that the dashboards and alert rules
# are checked against (ObservabilityAsCodeTest).
#
# It starts the local platform exactly as a user does (./platform up, a fresh data folder under
# ops/observability/target, random free ports), waits for the built-in models, drives the traffic that
# makes the lazily registered meters appear (a distillation job to SUCCEEDED and its automatic evaluation,
# a model load, a generation, an evaluation run), then reads every service's /actuator/prometheus and the
# embedded model server's /metrics (Triton's port 8002) and writes the sorted, de-duplicated series names
# (histograms give their _bucket/_count/_sum series; the # HELP/# TYPE lines are not read).
# Run it again after adding or renaming a meter: ops/observability/collect-metrics.sh (a few minutes on 2 cores).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$ROOT/ops/observability/src/test/resources/exported-metrics.txt"
DATA="$ROOT/ops/observability/target/collect-metrics/data-$(date +%s)"
SCRAPES="$DATA/scrapes"
mkdir -p "$(dirname "$OUT")"
mkdir -p "$SCRAPES"

fail() { echo "collect-metrics: $*" >&2; exit 1; }

# One free TCP port per name, chosen by the kernel (bind to port 0), all distinct.
PORT_NAMES=(kafka kafka-controller postgres gateway gateway-grpc training training-grpc inference inference-grpc
  evaluation evaluation-grpc merging merging-grpc triton-http triton-grpc triton-metrics)
mapfile -t PORTS < <(python3 - "${#PORT_NAMES[@]}" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
for s in socks:
    print(s.getsockname()[1])
EOF
)
declare -A PORT
PORT_OPTIONS=()
for i in "${!PORT_NAMES[@]}"; do
  PORT[${PORT_NAMES[$i]}]=${PORTS[$i]}
  PORT_OPTIONS+=(--port "${PORT_NAMES[$i]}=${PORTS[$i]}")
done

UP_LOG="$DATA/up.out"
: > "$UP_LOG"
echo "collect-metrics: ./platform up --data-dir $DATA (log: $UP_LOG)"
# the small budget keeps the built-in models' first training short (as the platform's own tests do)
DIVERGENCE_BUILT_IN_BUDGET=small "$ROOT/platform" up --data-dir "$DATA" --no-startup-cache "${PORT_OPTIONS[@]}" \
  > "$UP_LOG" 2>&1 &
LAUNCHER=$!
stop() {
  "$ROOT/platform" down --data-dir "$DATA" > "$DATA/down.out" 2>&1 || true
  wait "$LAUNCHER" 2>/dev/null || true
}
trap stop EXIT

await_log() { # $1: text in the launcher's output, $2: seconds
  local deadline=$((SECONDS + $2))
  until grep -q "$1" "$UP_LOG"; do
    kill -0 "$LAUNCHER" 2>/dev/null || { cat "$UP_LOG" >&2; fail "./platform up ended before '$1'"; }
    (( SECONDS < deadline )) || { cat "$UP_LOG" >&2; fail "no '$1' within $2 s"; }
    sleep 2
  done
}
await_log "components ready" 600
await_log "Built-in models servable" 1200
echo "collect-metrics: platform up, built-in models servable"

GATEWAY="http://127.0.0.1:${PORT[gateway]}"
KEY="$(cat "$DATA/secrets/admin-api-key")"
api() { # method path [json]
  if [[ $# -ge 3 ]]; then
    curl -sf -X "$1" -H "X-Api-Key: $KEY" -H 'Content-Type: application/json' "$GATEWAY$2" -d "$3"
  else
    curl -sf -X "$1" -H "X-Api-Key: $KEY" "$GATEWAY$2"
  fi
}
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# A distillation job: training's outbox and Kafka producer, a new model registered, loaded by inference and
# evaluated automatically by evaluation (its runs.* meters appear once a run ends).
JOB=$(api POST /api/v1/training/jobs '{"displayName":"collect-metrics kd",
  "spec":{"algorithm":"distillation","model":"breast-cancer-mlp-student","dataset":"breast-cancer","budget":{"maxSteps":20},
          "distillation":{"teacherModel":"breast-cancer-mlp-teacher","divergence":{"name":"reverse_kl"}}}}' | json_field jobId)
echo "collect-metrics: distillation job $JOB"
# a generation: the inference service's generation meters and the model server's nv_inference_* series
api POST /api/v1/inference/generate '{"model":"tiny-lm","prompt":"12+7=","maxTokens":8,"strategy":{"name":"greedy"}}' > /dev/null
# an evaluation run on the tiny LM (scoring and generation calls from evaluation to inference)
RUN=$(api POST /api/v1/evaluation/runs '{"spec":{"model":"tiny-lm","suites":["rewards","diversity"],
  "prompts":{"builtIn":"arithmetic","limit":4},"sampling":{"samples":2}}}' | json_field runId)
echo "collect-metrics: evaluation run $RUN"

deadline=$((SECONDS + 900))
while :; do
  job_state=$(api GET "/api/v1/training/jobs/$JOB" | json_field state)
  run_state=$(api GET "/api/v1/evaluation/runs/$RUN" | json_field state)
  evaluations=$(api GET "/api/v1/evaluation/training-jobs/$JOB/evaluations" \
    | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin) if r["state"] in ("SUCCEEDED","FAILED","CANCELLED")))' \
    2>/dev/null || echo 0)
  echo "collect-metrics: job $job_state, run $run_state, ended automatic evaluations $evaluations"
  case "$job_state" in FAILED|CANCELLED) fail "the distillation job ended $job_state" ;; esac
  if [[ "$job_state" == SUCCEEDED && "$run_state" =~ ^(SUCCEEDED|FAILED|CANCELLED)$ && "$evaluations" -ge 1 ]]; then
    break
  fi
  (( SECONDS < deadline )) || fail "the job and the runs did not end within 900 s"
  sleep 5
done
sleep 15 # one more relay round and Kafka consumer metrics refresh

# the gateway's own actuator needs the admin role: Prometheus presents an admin API key as a bearer token
# (ops/prometheus/prometheus.yml), and so does this script
for service in gateway training inference evaluation merging; do
  auth=()
  [[ "$service" == gateway ]] && auth=(-H "Authorization: Bearer $KEY")
  curl -sf "${auth[@]}" "http://127.0.0.1:${PORT[$service]}/actuator/prometheus" > "$SCRAPES/$service.prom" \
    || fail "$service did not answer /actuator/prometheus"
done
curl -sf "http://127.0.0.1:${PORT[triton-metrics]}/metrics" > "$SCRAPES/model-server.prom" \
  || fail "the model server did not answer /metrics"

{
  echo "# Metric names the platform exports: every service's /actuator/prometheus and the embedded model"
  echo "# server's /metrics, scraped by ops/observability/collect-metrics.sh after a distillation job, its"
  echo "# automatic evaluation, a generation and an evaluation run. Regenerate with that script; do not edit."
  cat "$SCRAPES"/*.prom | grep -v '^#' | sed -E 's/^([a-zA-Z_:][a-zA-Z0-9_:]*).*/\1/' | grep -E '^[a-zA-Z_:]' | LC_ALL=C sort -u
} > "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
echo "collect-metrics: $(grep -vc '^#' "$OUT") metric names written to $OUT"
