#!/usr/bin/env bash
# bench/run.sh merging -> bench/results/merging.json (results schema and figures: bench/RESULTS.md)
# T³ test-time merging (services/merging, issue 12) for a batch of 64: one plain forward, the exact
# per-sample merged pass and T³ end to end, T³_B's merge-once pass and T³_B end to end
# (services/merging's MergingBenchmark, in its test classes), beside PyTorch CPU doing it the reference
# code's way, materialising each sample's merged weights (bench/merging/merging_baseline.py, Debian
# python3-torch), which first checks that it computes what we compute. Ours and PyTorch alternate in
# ROUNDS rounds; each side keeps its best round. The ratios to one plain forward are also measured in
# alternating pairs of short windows inside our process, so both sides of each ratio see the same load.
# Environment: BENCH_THREADS intra-op threads on both sides (default 1, as bench/run.sh model); ROUNDS
# (default 2); PYTHON; MERGING_DATA the models' data folder (default bench/merging/target/data: the
# digits pair and the breast-cancer teacher are trained there on first use, about a minute).
set -euo pipefail

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
if [[ -d /usr/lib/jvm/temurin-25-jdk-amd64 ]]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
PYTHON="${PYTHON:-/usr/bin/python3}"
threads="${BENCH_THREADS:-1}"
rounds="${ROUNDS:-2}"
data="${MERGING_DATA:-bench/merging/target/data}"
work="bench/results/tmp/merging"
rm -rf "$work"
mkdir -p "$work" "$data" bench/results

echo "== building services/merging (the benchmark main lives in its test classes)"
build=(-q -pl services/merging test-compile dependency:build-classpath "-Dmdep.outputFile=$root/$work/classpath.txt"
       -Dmdep.includeScope=test)
./mvnw -o "${build[@]}" || ./mvnw "${build[@]}"
classpath="services/merging/target/test-classes:services/merging/target/classes:$(cat "$work/classpath.txt")"

ours() { # round
  OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads" "$JAVA" \
    -Dai.djl.pytorch.num_threads="$threads" -Dai.djl.pytorch.num_interop_threads=1 \
    -cp "$classpath" dev.divergence.merging.bench.MergingBenchmark \
    "$work" "$data" "bench/merging/target/djl-cache" "$1" 2>&1 | { grep -vE "\[main\] (INFO|WARN)|^WARNING|LegacyTypeDispatch|^$" || true; }
}

# the models are made (trained on first use) outside the measured groups, with the check files the PyTorch
# side verifies its port against (MergingBenchmark's tag "prepare" times nothing)
echo "== preparing the models under $data"
ours prepare

cut -d' ' -f1-3 /proc/loadavg > "$work/load_before.txt"
# each measured group waits for an idle machine and is measured again when other work disturbed it
# (bench/quiet.sh); every try's load is kept in bench/results/merging.load.jsonl
export QUIET_LOG="$work/load.jsonl"
# shellcheck source=bench/quiet.sh
source bench/quiet.sh
for round in $(seq 1 "$rounds"); do
  echo "== round $round: services/merging on DJL ($threads threads)"
  quiet_group "ours/$round" ours "$round"
  echo "== round $round: PyTorch CPU reference ($PYTHON, $threads threads)"
  quiet_group "pytorch/$round" env OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads" \
    "$PYTHON" bench/merging/merging_baseline.py "$work" "$threads" "$round"
done
cut -d' ' -f1-3 /proc/loadavg > "$work/load_after.txt"

echo "== results"
"$PYTHON" bench/merging/combine.py "$work" bench/results/merging.json "bench/run.sh merging" "$threads" "$rounds"
cp "$work/load.jsonl" bench/results/merging.load.jsonl
