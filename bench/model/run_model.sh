#!/usr/bin/env bash
# bench/run.sh model -> bench/results/model.json (results schema: bench/RESULTS.md)
# Forward tokens/s, KV-cache decode tokens/s and AdamW training steps/s of libs/model's decoder
# (tiny byte-level LM and a ~25M-parameter config), beside the same model and step in PyTorch CPU
# (bench/model/model_baseline.py, Debian python3-torch), on this machine in this run.
# Environment: BENCH_THREADS intra-op threads on both sides (default 1: on a busy shared machine
# two OpenMP threads spin against other jobs and both sides' numbers become noise); PYTHON.
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
if [[ -d /usr/lib/jvm/temurin-25-jdk-amd64 ]]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
PYTHON="${PYTHON:-/usr/bin/python3}"
threads="${BENCH_THREADS:-1}"
work="bench/results/tmp/model"
rm -rf "$work"
mkdir -p "$work" bench/results

echo "== building libs/model and bench/model"
./mvnw -q -o -pl libs/model -am install -DskipTests || ./mvnw -q -pl libs/model -am install -DskipTests
bench=(-q -f bench/model/pom.xml package dependency:build-classpath "-Dmdep.outputFile=$root/$work/classpath.txt"
       -Dmdep.includeScope=runtime)
./mvnw -o "${bench[@]}" || ./mvnw "${bench[@]}"

cut -d' ' -f1-3 /proc/loadavg > "$work/load_before.txt"
# each measured group waits for an idle machine and is measured again when other work disturbed it
# (bench/quiet.sh); every try's load is kept in bench/results/model.load.jsonl
export QUIET_LOG="$work/load.jsonl"
# shellcheck source=bench/quiet.sh
source bench/quiet.sh
# ours and PyTorch alternate case by case, in two rounds, so both see the same load
classpath="bench/model/target/classes:$(cat "$work/classpath.txt")"
ours() { # case, round
  OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads" "$JAVA" \
    -Dai.djl.pytorch.num_threads="$threads" -Dai.djl.pytorch.num_interop_threads=1 \
    -cp "$classpath" dev.divergence.bench.model.ModelBenchmark \
    "$work" "bench/model/target/djl-cache" "$1" "${1}_$2" 2>&1 | grep -vE "^\[main\] (INFO|WARN)|^WARNING"
}
for round in 1 2; do
  for case in tiny 25m; do
    echo "== round $round, $case: libs/model on DJL ($threads threads)"
    quiet_group "$case/ours/$round" ours "$case" "$round"
    echo "== round $round, $case: PyTorch CPU baseline ($PYTHON, $threads threads)"
    quiet_group "$case/pytorch/$round" env OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads" \
      "$PYTHON" bench/model/model_baseline.py "$work" "$threads" "$case" "${case}_$round"
  done
done

cut -d' ' -f1-3 /proc/loadavg > "$work/load_after.txt"
echo "== results"
"$PYTHON" bench/model/combine.py "$work" bench/results/model.json "bench/run.sh model" "$threads"
cp "$work/load.jsonl" bench/results/model.load.jsonl
