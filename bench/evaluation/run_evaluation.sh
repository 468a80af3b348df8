#!/usr/bin/env bash
# bench/run.sh evaluation -> bench/results/evaluation.json (results schema: bench/RESULTS.md)
# Two cases, each against its baseline in the same run:
#  (1) the evaluation service's Metrics API against the same work done locally with numpy/scipy: JS of
#      float32 logits [64, 32000] sent as a binary body (bench/evaluation/metrics_client.py). The
#      service's figure includes the HTTP round trip and the 16 MB upload: above 1 means asking the
#      service is faster than computing it locally.
#  (2) token scoring of 256 prompts + answers with the tiny LM (bench/evaluation/score_tokens.py): the
#      next-token distribution before every answer token, through the inference service's gRPC
#      TokenDistributions (one forward per text; client bench/evaluation/TokenScoring.java, chunks of
#      64 texts as the evaluation service sends them) against a PyTorch CPU port of the same Llama
#      doing one forward per text. The port's log-probs are checked equal to the service's answer
#      (float32 bound) before anything is timed; answer tokens scored per second.
# Starts ./platform up --only kafka,postgres,evaluation(,inference) on ports shifted by PORT_OFFSET
# (default 600), stopped after. Environment: ROUNDS (default 2); PYTHON (needs python3-torch for (2));
# SKIP_METRICS=1 or SKIP_SCORING=1 leave a case out; MODEL_WAIT seconds to wait for tiny-lm to be
# READY (default 600: the first start with a fresh cache trains the built-in models).
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
if [[ -d /usr/lib/jvm/temurin-25-jdk-amd64 ]]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
PYTHON="${PYTHON:-/usr/bin/python3}"
rounds="${ROUNDS:-2}"
offset="${PORT_OFFSET:-600}"
work="bench/results/tmp/evaluation"
rm -rf "$work"
mkdir -p "$work" bench/results

skip_metrics="${SKIP_METRICS:-0}"
skip_scoring="${SKIP_SCORING:-0}"
components="kafka,postgres,evaluation"
modules="services/evaluation,ops/local"
if [[ "$skip_scoring" != "1" ]]; then
  components="$components,inference"
  modules="$modules,services/inference"
fi

echo "== building the services ($modules) and the launcher"
./mvnw -q -o -pl "$modules" -am install -DskipTests \
  || ./mvnw -q -pl "$modules" -am install -DskipTests
if [[ "$skip_scoring" != "1" ]]; then
  client=(-q -f bench/evaluation/pom.xml package dependency:build-classpath "-Dmdep.outputFile=$root/$work/classpath.txt"
          -Dmdep.includeScope=runtime)
  ./mvnw -o "${client[@]}" || ./mvnw "${client[@]}"
  JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
  token_scoring() {
    "$JAVA" -cp "bench/evaluation/target/classes:$(cat "$work/classpath.txt")" dev.divergence.bench.evaluation.TokenScoring "$@"
  }
fi

export QUIET_LOG="$work/load.jsonl"
# shellcheck source=bench/quiet.sh
source bench/quiet.sh

platform_dir="bench/results/tmp/evaluation-platform"
echo "== platform up --only $components (port offset $offset)"
./platform up --data-dir "$platform_dir" --port-offset "$offset" --only "$components" > "$work/platform.log" 2>&1 &
platform_pid=$!
stop_platform() {
  ./platform down --data-dir "$platform_dir" > /dev/null 2>&1 || kill "$platform_pid" 2> /dev/null || true
  wait "$platform_pid" 2> /dev/null || true
}
trap stop_platform EXIT
for _ in $(seq 1 150); do
  if grep -q "components ready" "$work/platform.log" 2> /dev/null; then break; fi
  if ! kill -0 "$platform_pid" 2> /dev/null; then echo "the platform did not start; see $work/platform.log" >&2; exit 1; fi
  sleep 2
done
service="http://localhost:$((8083 + offset))"
inference="http://localhost:$((8082 + offset))"
inference_grpc="localhost:$((9082 + offset))"

cut -d' ' -f1-3 /proc/loadavg > "$work/load_before.txt"
for round in $(seq 1 "$rounds"); do
  if [[ "$skip_metrics" == "1" ]]; then break; fi
  # the service's work is not this script's child: wait for the idle platform, then measure it
  busy=$(QUIET_MAX_BUSY_CORES="${QUIET_MAX_PLATFORM_CORES:-0.4}" quiet_wait) || true
  printf '{"group":"service/%s","busy_cores_before":%s,"loadavg_before":"%s"}\n' "$round" "$busy" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" >> "$QUIET_LOG"
  echo "== round $round: Metrics API ($service), binary float32 body"
  "$PYTHON" bench/evaluation/metrics_client.py "$service" "$work/figures.json" service
  echo "== round $round: numpy/scipy locally"
  quiet_group "numpy/$round" "$PYTHON" bench/evaluation/metrics_client.py "$service" "$work/figures.json" numpy
done
if [[ "$skip_scoring" != "1" ]]; then
  # the built-in models become servable on a background thread after start-up (made on the first start)
  state=""
  for _ in $(seq 1 $(( ${MODEL_WAIT:-600} / 5 ))); do
    state=$(curl -s "$inference/api/v1/inference/models/tiny-lm" | sed -n 's/.*"state":"\([A-Z]*\)".*/\1/p' || true)
    if [[ "$state" == "READY" || "$state" == "FAILED" ]] || ! kill -0 "$platform_pid" 2> /dev/null; then break; fi
    sleep 5
  done
  if [[ "$state" != "READY" ]]; then echo "tiny-lm is ${state:-unknown} in the inference service; see $work/platform.log" >&2; exit 1; fi
  # the folder the service serves tiny-lm from (its catalog's file URI): the baseline loads the same weights
  model_dir=$(curl -s "$inference/api/v1/inference/models/tiny-lm" | "$PYTHON" -c \
    'import json, sys, urllib.parse; print(urllib.parse.unquote(urllib.parse.urlparse(json.load(sys.stdin)["sourceUri"]).path))')
  "$PYTHON" bench/evaluation/score_tokens.py items "$work/score_items.jsonl"
  echo "== token scoring: the service's answer against the PyTorch port ($model_dir)"
  token_scoring dump "$inference_grpc" tiny-lm "$work/score_items.jsonl" "$work/score_dump.json"
  "$PYTHON" bench/evaluation/score_tokens.py check "$model_dir" "$work/score_items.jsonl" "$work/score_dump.json" \
    | tee "$work/score_check.txt"
  for round in $(seq 1 "$rounds"); do
    busy=$(QUIET_MAX_BUSY_CORES="${QUIET_MAX_PLATFORM_CORES:-0.4}" quiet_wait) || true
    printf '{"group":"scoring-service/%s","busy_cores_before":%s,"loadavg_before":"%s"}\n' "$round" "$busy" \
      "$(cut -d' ' -f1-3 /proc/loadavg)" >> "$QUIET_LOG"
    echo "== round $round: TokenDistributions over gRPC ($inference_grpc)"
    token_scoring time "$inference_grpc" tiny-lm "$work/score_items.jsonl" "$work/score_service_$round.json"
    echo "== round $round: PyTorch CPU, one forward per text"
    quiet_group "torch/$round" "$PYTHON" bench/evaluation/score_tokens.py time "$model_dir" "$work/score_items.jsonl" \
      "$work/score_torch_$round.json"
  done
fi

cut -d' ' -f1-3 /proc/loadavg > "$work/load_after.txt"
stop_platform
trap - EXIT

echo "== results"
"$PYTHON" - "$work" <<'PY'
import glob, json, os, platform, subprocess, sys, datetime
work = sys.argv[1]
figures = os.path.join(work, "figures.json")
f = json.load(open(figures)) if os.path.exists(figures) else None
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
java = subprocess.run([os.path.join(os.environ.get("JAVA_HOME", ""), "bin", "java") if os.environ.get("JAVA_HOME") else "java",
                       "-version"], capture_output=True, text=True).stderr.splitlines()[0]
result = {
    "suite": "evaluation",
    "machine": "%s, %d cores, Linux %s, %s" % (cpu, os.cpu_count(), platform.release(), java),
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "command": "bench/run.sh evaluation",
    "results": [],
    "notes": {
        "loadavg_before": open(os.path.join(work, "load_before.txt")).read().strip(),
        "loadavg_after": open(os.path.join(work, "load_after.txt")).read().strip(),
    },
}
if f is not None:
    result["results"].append({
        "name": "js_logits_64x32000_binary_http",
        "unit": "ops/s",
        "ours": round(f["service_ops"], 3),
        "baseline_name": "numpy %s / scipy %s, locally (no HTTP)" % (f["numpy"], f["scipy"]),
        "baseline": round(f["numpy_ops"], 3),
        "speedup": round(f["service_ops"] / f["numpy_ops"], 2),
    })
    result["notes"].update({
        "what": "one call = JS token mean of float32 teacher/student logits [64, 32000]; ours includes the HTTP round trip "
                "and the 16 MB binary upload over a kept-alive connection from the same Python process",
        "values": {"service": f["service_value"], "numpy": f["numpy_value"]},
        "estimator": "best calls-per-second over 5 windows of >= 1 s per round, best round",
    })
service_rounds = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(work, "score_service_*.json")))]
torch_rounds = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(work, "score_torch_*.json")))]
if service_rounds and torch_rounds:
    ours = max(r["service_tokens_per_s"] for r in service_rounds)
    base = max(r["torch_tokens_per_s"] for r in torch_rounds)
    t = torch_rounds[0]
    result["results"].append({
        "name": "token_distributions_tiny_lm_256_texts_grpc",
        "unit": "tokens/s",
        "ours": round(ours, 1),
        "baseline_name": "PyTorch %s CPU (%d threads), one forward per text, locally" % (t["torch"], t["torch_threads"]),
        "baseline": round(base, 1),
        "speedup": round(ours / base, 2),
    })
    result["notes"]["token_scoring"] = {
        "what": "next-token distribution (full vocabulary, entropy) before every answer token and the answer tokens' "
                "log-probs of %d arithmetic prompts + answers (%d answer tokens) with the built-in tiny-lm; ours: gRPC "
                "ScoringService/TokenDistributions, top_k 0, %d texts per call sent one after the other (the evaluation "
                "service's InferenceClient chunking), one forward per text in the inference service (all_logits), "
                "including the gRPC round trips and the full distributions in the answers" % (
                    t["texts"], t["answer_tokens"], service_rounds[0]["service_chunk"]),
        "check": open(os.path.join(work, "score_check.txt")).read().strip(),
        "estimator": "best of 3 timed passes over the 256 texts after a warm-up, best round",
    }
json.dump(result, open("bench/results/evaluation.json", "w"), indent=2)
for r in result["results"]:
    print("%-44s ours %9.2f %s  %s %9.2f  x%.2f" % (r["name"], r["ours"], r["unit"], r["baseline_name"], r["baseline"], r["speedup"]))
PY
cp "$work/load.jsonl" bench/results/evaluation.load.jsonl
