#!/usr/bin/env bash
# The decoding comparison of issue 11's evidence: an evaluation run of the built-in tiny LM on the
# built-in knowledge-conflict set (arithmetic-conflict: "a+b=W a+b=" with W a wrong result), the same
# prompts under greedy, cad, adacad, uscd and sample decoding, reporting per strategy the
# context-following rate (the output's first word is W) and the prior-following rate (the true
# result), means over prompts with 95% Student-t intervals; "sample" is repeated over SEEDS seeds.
# A quality measurement, not a timing: the numbers go to bench/RESULTS.md whatever they show.
#   bench/evaluation/decoding_comparison.sh -> bench/results/evaluation-decoding.json
# Starts ./platform up --only kafka,postgres,inference,evaluation on ports shifted by PORT_OFFSET
# (default 700), stopped after. Environment: PROMPTS (default 64), SEEDS (default 4), MODEL_WAIT.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
if [[ -d /usr/lib/jvm/temurin-25-jdk-amd64 ]]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
PYTHON="${PYTHON:-/usr/bin/python3}"
offset="${PORT_OFFSET:-700}"
prompts="${PROMPTS:-64}"
seeds="${SEEDS:-4}"
work="bench/results/tmp/evaluation-decoding"
rm -rf "$work"
mkdir -p "$work" bench/results

echo "== building the services and the launcher"
modules="services/inference,services/evaluation,ops/local"
./mvnw -q -o -pl "$modules" -am install -DskipTests || ./mvnw -q -pl "$modules" -am install -DskipTests

platform_dir="bench/results/tmp/evaluation-decoding-platform"
echo "== platform up --only kafka,postgres,inference,evaluation (port offset $offset)"
./platform up --data-dir "$platform_dir" --port-offset "$offset" --only kafka,postgres,inference,evaluation \
  > "$work/platform.log" 2>&1 &
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
evaluation="http://localhost:$((8083 + offset))"
inference="http://localhost:$((8082 + offset))"
state=""
for _ in $(seq 1 $(( ${MODEL_WAIT:-900} / 5 ))); do
  state=$(curl -s "$inference/api/v1/inference/models/tiny-lm" | sed -n 's/.*"state":"\([A-Z]*\)".*/\1/p' || true)
  if [[ "$state" == "READY" || "$state" == "FAILED" ]]; then break; fi
  sleep 5
done
if [[ "$state" != "READY" ]]; then echo "tiny-lm is ${state:-unknown}; see $work/platform.log" >&2; exit 1; fi

cat > "$work/run.json" <<JSON
{"displayName": "decoding comparison on the conflict set",
 "spec": {"model": "tiny-lm", "suites": ["decoding"],
          "prompts": {"builtIn": "arithmetic-conflict", "limit": $prompts, "seed": 1},
          "sampling": {"samples": $seeds, "maxTokens": 4, "temperature": 1.0, "seed": 7},
          "strategies": [{"name": "greedy"}, {"name": "cad"}, {"name": "cad", "alpha": 1.0}, {"name": "adacad"},
                         {"name": "uscd"}, {"name": "sample"}]}}
JSON
cut -d' ' -f1-3 /proc/loadavg > "$work/load_before.txt"
echo "== creating the run"
run_id=$(curl -s -H 'Content-Type: application/json' --data @"$work/run.json" "$evaluation/api/v1/evaluation/runs" \
  | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["runId"])')
echo "   run $run_id"
while true; do
  curl -s "$evaluation/api/v1/evaluation/runs/$run_id" > "$work/run_result.json"
  run_state=$("$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))["state"])' "$work/run_result.json")
  case "$run_state" in SUCCEEDED|FAILED|CANCELLED) break ;; esac
  sleep 2
done
cut -d' ' -f1-3 /proc/loadavg > "$work/load_after.txt"
stop_platform
trap - EXIT
if [[ "$run_state" != "SUCCEEDED" ]]; then echo "the run ended $run_state"; cat "$work/run_result.json"; exit 1; fi

"$PYTHON" - "$work/run_result.json" "$work" <<'PY'
import datetime, json, os, platform, sys
run = json.load(open(sys.argv[1]))
work = sys.argv[2]
suite = run["results"][0]
metrics = suite["metrics"]
strategies = list(suite["details"]["strategies"].keys())
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
rows = []
for s in strategies:
    c = metrics[s + ".context_following"]
    p = metrics[s + ".prior_following"]
    rows.append({"strategy": s, "repeats": suite["details"]["strategies"][s]["repeats"],
                 "context_following": c, "prior_following": p})
result = {"suite": "evaluation-decoding",
          "machine": "%s, %d cores, Linux %s" % (cpu, os.cpu_count(), platform.release()),
          "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
          "command": "bench/evaluation/decoding_comparison.sh",
          "run": {"id": run["runId"], "spec": run["spec"]},
          "notes": {"what": "a quality measurement (rates), not a timing: machine load cannot change it",
                    "loadavg_before": open(os.path.join(work, "load_before.txt")).read().strip(),
                    "loadavg_after": open(os.path.join(work, "load_after.txt")).read().strip(),
                    "conflicts": suite["details"]["conflicts"], "prompts": suite["details"]["prompts"]},
          "results": rows}
json.dump(result, open("bench/results/evaluation-decoding.json", "w"), indent=2)
print("| strategy | repeats | context-following (95% CI) | prior-following (95% CI) |")
print("|---|---|---|---|")
fmt = lambda e: "%.3f [%s, %s]" % (e["mean"], "%.3f" % e["lower"] if e.get("lower") is not None else "-",
                                     "%.3f" % e["upper"] if e.get("upper") is not None else "-")
for r in rows:
    print("| %s | %d | %s | %s |" % (r["strategy"], r["repeats"], fmt(r["context_following"]), fmt(r["prior_following"])))
PY
