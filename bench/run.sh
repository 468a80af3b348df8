#!/usr/bin/env bash
# Runs a benchmark suite and its baselines in the same run on the same machine.
#   bench/run.sh divergence   -> bench/results/divergence.json  (schema: bench/RESULTS.md)
#   bench/run.sh model        -> bench/results/model.json
#   bench/run.sh training     -> bench/results/training.json
#   bench/run.sh inference    -> bench/results/inference.json
#   bench/run.sh evaluation   -> bench/results/evaluation.json
#   bench/run.sh merging      -> bench/results/merging.json
#   bench/run.sh gateway      -> bench/results/gateway.json
#   bench/run.sh claims-t3    -> bench/results/claims-t3.json and .md (T³ claims, an accuracy study)
#   bench/run.sh claims-fdpg  -> bench/results/claims-fdpg.json and .md (f-DPG divergences, an accuracy study)
#   bench/run.sh claims-dphrl -> bench/results/claims-dphrl.json and .md (DPH-RL pass@k per regulariser, an accuracy study)
#   bench/run.sh claims-fdpo  -> bench/results/claims-fdpo.json and .md (f-DPO accuracy, margins, diversity per divergence, an accuracy study)
# Environment: JMH_ARGS overrides the JMH run settings, ROUNDS the number of interleaved rounds
# (default 2); PYTHON the interpreter of the baselines
# (Debian's /usr/bin/python3 with python3-numpy, python3-scipy and optionally python3-torch).
set -euo pipefail

suite="${1:-}"
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
cd "$root"

if [[ -d /usr/lib/jvm/temurin-25-jdk-amd64 ]]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
PYTHON="${PYTHON:-/usr/bin/python3}"

case "$suite" in
  divergence)
    module=bench/jmh-divergence
    baseline="$here/baselines/divergence_baselines.py"
    ;;
  model)
    # libs/model (issue 4): a plain timing harness beside PyTorch CPU, not JMH; see bench/model/run_model.sh
    exec "$here/model/run_model.sh"
    ;;
  training)
    # services/training (issue 5): distillation and f-DPO steps beside PyTorch CPU; (issue 13) one RLVR (GRPO) step and
    # one f-DPG step, rollouts + updates, on the tiny LM beside PyTorch CPU on the same weights (TRAINING_CASES=rl runs
    # only those, into bench/results/training-rl.json); see bench/training/run_training.sh
    exec "$here/training/run_training.sh"
    ;;
  inference)
    # libs/model-server and the inference service (issue 6): generation tokens/s and latency; see bench/inference/run_inference.sh
    exec "$here/inference/run_inference.sh"
    ;;
  evaluation)
    # services/evaluation (issue 11): the Metrics API over HTTP against numpy locally, and token scoring of 256 texts
    # through the inference service's gRPC TokenDistributions against PyTorch CPU; see bench/evaluation/run_evaluation.sh
    exec "$here/evaluation/run_evaluation.sh"
    ;;
  merging)
    # services/merging (issue 12): T³ / T³_B merged prediction of a batch of 64 against one plain forward, and
    # against PyTorch CPU materialising per-sample merged weights as the reference code does; see bench/merging/run_merging.sh
    exec "$here/merging/run_merging.sh"
    ;;
  gateway)
    # gateway (issue 14): p50/p99 of a cheap GET with and without authentication and rate limits, and a
    # sustained open-loop mix through the gateway with both on; see bench/gateway/run_gateway.sh
    exec "$here/gateway/run_gateway.sh"
    ;;
  claims-t3)
    # services/merging (issue 12): the direction of the T³ paper's claims on the shipped protocol (an accuracy
    # study, not a timing); see bench/claims/t3/run.sh
    exec "$here/claims/t3/run.sh"
    ;;
  claims-fdpg)
    # services/training (issue 13): alignment vs distance from the base vs diversity per f-DPG divergence
    # (an accuracy study, not a timing); see bench/claims/fdpg/run.sh
    exec "$here/claims/fdpg/run.sh"
    ;;
  claims-dphrl)
    # services/training (issue 13): held-out pass@1 / pass@k over RLVR training per regulariser (none, k3 KL,
    # forward-KL and JS rehearsal), the DPH-RL claim (an accuracy study, not a timing); see bench/claims/dphrl/run.sh
    exec "$here/claims/dphrl/run.sh"
    ;;
  claims-fdpo)
    # services/training (issue 13): preference accuracy (first vs last steps), margins and sample diversity per
    # f-DPO divergence (an accuracy study, not a timing); see bench/claims/fdpo/run.sh
    exec "$here/claims/fdpo/run.sh"
    ;;
  claims-distillation)
    # services/training (issue 13): test accuracy and ECE of students per distillation divergence (kl, reverse_kl,
    # js, jsd, akl, sinkhorn, pld) against the forward-KL student (an accuracy study, not a timing);
    # see bench/claims/distillation/run.sh
    exec "$here/claims/distillation/run.sh"
    ;;
  *)
    echo "usage: bench/run.sh divergence|model|training|inference|evaluation|merging|gateway|claims-t3|claims-fdpg|claims-dphrl|claims-fdpo|claims-distillation" >&2
    exit 2
    ;;
esac

work="$here/results/tmp/$suite"
rm -rf "$work"
mkdir -p "$work"

echo "== building libs/divergence and $module"
# offline first (fast, no network); online if a plugin or dependency is still missing
build=(-q -pl "libs/divergence,$module" -DskipTests package dependency:build-classpath
       "-Dmdep.outputFile=$work/classpath.txt" -Dmdep.includeScope=runtime)
./mvnw -o "${build[@]}" || ./mvnw "${build[@]}"
# the reactor's classpath of the bench module points at libs/divergence's freshly built jar
classpath="$module/target/classes:$(cat "$work/classpath.txt")"

# the machine may be shared: each group waits for an idle machine and is measured again when other work
# disturbed it (bench/quiet.sh); every try's load is in bench/results/divergence.load.jsonl
cat /proc/loadavg > "$work/loadavg_before" 2>/dev/null || true
export QUIET_LOG="$work/load.jsonl"
# shellcheck source=bench/quiet.sh
source "$here/quiet.sh"

# The machine may be shared with other work whose load changes from minute to minute. Baseline
# and JMH measurements are therefore interleaved group by group, in several rounds, and each side
# is represented by its best observation (interference only ever slows a run down).
rounds=${ROUNDS:-2}
# generous warm-up: the Vector API kernels are slow until C2 has compiled them
jmh_args=${JMH_ARGS:-"-f 1 -wi 4 -w 1s -i 5 -r 1s -tu s"}
run_jmh() { # benchmark, its parameters, result file
  # shellcheck disable=SC2086
  "$JAVA" --add-modules=jdk.incubator.vector -cp "$classpath" org.openjdk.jmh.Main "$1" $2 \
    $jmh_args -jvmArgsAppend "--add-modules=jdk.incubator.vector -Dbench.data=$work" \
    -rf json -rff "$3" 2>&1 | grep -E "^(Benchmark|[A-Z][A-Za-z]+Benchmark\.)" || true
}
groups=("logits_64x32000|LogitsBenchmark|-p shape=64x32000"
        "logits_8x152064|LogitsBenchmark|-p shape=8x152064"
        "sinkhorn|SinkhornBenchmark|"
        "ece|CalibrationBenchmark|")
for round in $(seq 1 "$rounds"); do
  for spec in "${groups[@]}"; do
    IFS='|' read -r group benchmark params <<< "$spec"
    echo "== round $round: $group baseline ($PYTHON)"
    quiet_group "$group/baseline/$round" "$PYTHON" "$baseline" "$work" "$group"
    echo "== round $round: $group JMH"
    # the Vector API is an incubator module: every JVM that runs the kernels sets the flag
    # shellcheck disable=SC2086
    quiet_group "$group/jmh/$round" run_jmh "$benchmark" "$params" "$work/jmh-$group-$round.json"
  done
done

cat /proc/loadavg > "$work/loadavg_after" 2>/dev/null || true

echo "== results"
"$PYTHON" "$here/baselines/combine_results.py" "$suite" "$work" "$here/results/$suite.json" "bench/run.sh $suite"
cp "$work/load.jsonl" "$here/results/$suite.load.jsonl"
