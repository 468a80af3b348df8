#!/usr/bin/env bash
# bench/run.sh training -> bench/results/training.json (results schema: bench/RESULTS.md)
# Tokens/s of services/training's distillation step (token-level KL, tiny-lm -> tiny-lm-student) and
# f-DPO step (tiny-lm policy, cached reference log-probs), beside the same steps in PyTorch CPU
# (bench/training/training_baseline.py, Debian python3-torch), alternating, in this run; and (issue 13) one
# RLVR (GRPO) step and one f-DPG step on the built-in tiny LM (RlStepBenchmark, rollouts with batched KV-cache
# sampling + updates) beside bench/training/rl_baseline.py on the same weights.
# Environment: BENCH_THREADS intra-op threads on both sides (default 1, as bench/run.sh model); ROUNDS
# interleaved rounds (default 2); TRAINING_CASES all (default), sft (distillation and f-DPO only) or rl
# (RLVR and f-DPG only); PYTHON.
set -euo pipefail
case "${TRAINING_CASES:-all}" in
  all|sft|rl) ;;
  *) echo "TRAINING_CASES must be all, sft or rl, got '${TRAINING_CASES}'" >&2; exit 2 ;;
esac

root="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$root"
if [[ -d /usr/lib/jvm/temurin-25-jdk-amd64 ]]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
PYTHON="${PYTHON:-/usr/bin/python3}"
threads="${BENCH_THREADS:-1}"
rounds="${ROUNDS:-2}"
cases="${TRAINING_CASES:-all}"
# the tiny LM of the RL steps is made once (TinyAssets, standard budget) and kept between runs
bench_data="services/training/target/bench-data"
work="bench/results/tmp/training"
rm -rf "$work"
mkdir -p "$work" bench/results

echo "== building services/training (the benchmark main lives in its test classes)"
build=(-q -pl services/training test-compile dependency:build-classpath "-Dmdep.outputFile=$root/$work/classpath.txt"
       -Dmdep.includeScope=test)
./mvnw -o "${build[@]}" || ./mvnw "${build[@]}"
classpath="services/training/target/test-classes:services/training/target/classes:$(cat "$work/classpath.txt")"

cut -d' ' -f1-3 /proc/loadavg > "$work/load_before.txt"
# each measured group waits for an idle machine and is measured again when other work disturbed it
# (bench/quiet.sh); every try's load is kept in bench/results/training.load.jsonl
export QUIET_LOG="$work/load.jsonl"
# shellcheck source=bench/quiet.sh
source bench/quiet.sh
jvm=(env OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads" "$JAVA" --add-modules=jdk.incubator.vector
     -Dai.djl.pytorch.num_threads="$threads" -Dai.djl.pytorch.num_interop_threads=1
     -Djava.util.concurrent.ForkJoinPool.common.parallelism="$((threads - 1))" -cp "$classpath")
quiet_jvm() { "${jvm[@]}" "$@" 2>&1 | grep -vE "\[main\] (INFO|WARN)|^WARNING|LegacyTypeDispatch"; }
for round in $(seq 1 "$rounds"); do
  if [[ "$cases" != rl ]]; then
  echo "== round $round: services/training on DJL ($threads threads)"
  # the Vector API is an incubator module: libs/divergence's SIMD loss kernels need the flag; the
  # common pool's parallelism (threads - 1, the caller works too) keeps its row-parallel loss kernels
  # to the same thread count as libtorch and PyTorch
  quiet_group "ours/$round" env OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads" "$JAVA" --add-modules=jdk.incubator.vector \
    -Dai.djl.pytorch.num_threads="$threads" -Dai.djl.pytorch.num_interop_threads=1 \
    -Djava.util.concurrent.ForkJoinPool.common.parallelism="$((threads - 1))" \
    -cp "$classpath" dev.divergence.training.bench.TrainingStepBenchmark \
    "$work" "services/training/target/djl-cache" "$round" 2>&1 | grep -vE "^\[main\] (INFO|WARN)|^WARNING|LegacyTypeDispatch"
  echo "== round $round: PyTorch CPU baseline ($PYTHON, $threads threads)"
  quiet_group "pytorch/$round" env OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads" \
    "$PYTHON" bench/training/training_baseline.py "$work" "$threads" "$round"
  fi
  if [[ "$cases" != sft ]]; then
    # RLVR and f-DPG steps: ours first (it writes the model folder and the parity values the script checks)
    echo "== round $round: services/training RLVR and f-DPG steps on DJL ($threads threads)"
    quiet_group "rl/ours/$round" quiet_jvm dev.divergence.training.bench.RlStepBenchmark \
      "$work" "services/training/target/djl-cache" "$round" "$bench_data"
    echo "== round $round: RLVR and f-DPG steps in PyTorch CPU ($PYTHON, $threads threads)"
    quiet_group "rl/pytorch/$round" env OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads" \
      "$PYTHON" bench/training/rl_baseline.py "$work" "$threads" "$bench_data/rl-bench-model" "$round"
  fi
done
cut -d' ' -f1-3 /proc/loadavg > "$work/load_after.txt"

echo "== results"
# a run of some of the cases writes its own file (training-rl.json, training-sft.json), not training.json
name=training
command="bench/run.sh training"
if [[ "$cases" != all ]]; then
  name="training-$cases"
  command="TRAINING_CASES=$cases $command"
fi
if [[ "$rounds" != 2 ]]; then
  command="ROUNDS=$rounds $command"
fi
"$PYTHON" bench/training/combine.py "$work" "bench/results/$name.json" "$command" "$threads" "$rounds"
cp "$work/load.jsonl" "bench/results/$name.load.jsonl"

