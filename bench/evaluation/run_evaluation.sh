#!/usr/bin/env bash
# bench/run.sh evaluation -> bench/results/evaluation.json (results schema: bench/RESULTS.md)
# The evaluation service's Metrics API against the same work done locally with numpy/scipy, in one run:
# JS of float32 logits [64, 32000] sent as a binary body (bench/evaluation/metrics_client.py). The
# service's figure includes the HTTP round trip and the 16 MB upload: above 1 means asking the service
# is faster than computing it locally. Starts ./platform up --only kafka,postgres,evaluation on
# ports shifted by PORT_OFFSET (default 600), stopped after. Environment: ROUNDS (default 2); PYTHON.
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

echo "== building the evaluation service and the launcher"
./mvnw -q -o -pl services/evaluation,ops/local -am install -DskipTests \
  || ./mvnw -q -pl services/evaluation,ops/local -am install -DskipTests

export QUIET_LOG="$work/load.jsonl"
# shellcheck source=bench/quiet.sh
source bench/quiet.sh

platform_dir="bench/results/tmp/evaluation-platform"
echo "== platform up --only kafka,postgres,evaluation (port offset $offset)"
./platform up --data-dir "$platform_dir" --port-offset "$offset" --only kafka,postgres,evaluation > "$work/platform.log" 2>&1 &
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

cut -d' ' -f1-3 /proc/loadavg > "$work/load_before.txt"
for round in $(seq 1 "$rounds"); do
  # the service's work is not this script's child: wait for the idle platform, then measure it
  busy=$(QUIET_MAX_BUSY_CORES="${QUIET_MAX_PLATFORM_CORES:-0.4}" quiet_wait) || true
  printf '{"group":"service/%s","busy_cores_before":%s,"loadavg_before":"%s"}\n' "$round" "$busy" \
    "$(cut -d' ' -f1-3 /proc/loadavg)" >> "$QUIET_LOG"
  echo "== round $round: Metrics API ($service), binary float32 body"
  "$PYTHON" bench/evaluation/metrics_client.py "$service" "$work/figures.json" service
  echo "== round $round: numpy/scipy locally"
  quiet_group "numpy/$round" "$PYTHON" bench/evaluation/metrics_client.py "$service" "$work/figures.json" numpy
done
cut -d' ' -f1-3 /proc/loadavg > "$work/load_after.txt"
stop_platform
trap - EXIT

echo "== results"
"$PYTHON" - "$work" <<'PY'
import json, os, platform, subprocess, sys, datetime
work = sys.argv[1]
f = json.load(open(os.path.join(work, "figures.json")))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
java = subprocess.run([os.path.join(os.environ.get("JAVA_HOME", ""), "bin", "java") if os.environ.get("JAVA_HOME") else "java",
                       "-version"], capture_output=True, text=True).stderr.splitlines()[0]
result = {
    "suite": "evaluation",
    "machine": "%s, %d cores, Linux %s, %s" % (cpu, os.cpu_count(), platform.release(), java),
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "command": "bench/run.sh evaluation",
    "results": [{
        "name": "js_logits_64x32000_binary_http",
        "unit": "ops/s",
        "ours": round(f["service_ops"], 3),
        "baseline_name": "numpy %s / scipy %s, locally (no HTTP)" % (f["numpy"], f["scipy"]),
        "baseline": round(f["numpy_ops"], 3),
        "speedup": round(f["service_ops"] / f["numpy_ops"], 2),
    }],
    "notes": {
        "what": "one call = JS token mean of float32 teacher/student logits [64, 32000]; ours includes the HTTP round trip "
                "and the 16 MB binary upload over a kept-alive connection from the same Python process",
        "values": {"service": f["service_value"], "numpy": f["numpy_value"]},
        "estimator": "best calls-per-second over 5 windows of >= 1 s per round, best round",
        "loadavg_before": open(os.path.join(work, "load_before.txt")).read().strip(),
        "loadavg_after": open(os.path.join(work, "load_after.txt")).read().strip(),
    },
}
json.dump(result, open("bench/results/evaluation.json", "w"), indent=2)
r = result["results"][0]
print("%-32s ours %9.2f ops/s  %s %9.2f  x%.2f" % (r["name"], r["ours"], r["baseline_name"], r["baseline"], r["speedup"]))
PY
cp "$work/load.jsonl" bench/results/evaluation.load.jsonl
