#!/usr/bin/env bash
# bench/run.sh claims-dphrl -> bench/results/claims-dphrl.json and bench/results/claims-dphrl.md
# The DPH-RL claim (issue 13) on the product's own mini-benchmark: RLVR (GRPO) on the tiny LM with four
# regularisers (none, k3 KL in the loss, forward-KL rehearsal, JS rehearsal), SEEDS seeds each, held-out
# pass@1 and pass@k (k up to the 16 samples) over training, means with Student-t 95 % intervals over seeds.
# The main is services/training's DphRlClaims (test classes), which documents the task and why it was
# chosen. An accuracy study, not a timing: the load of the machine does not matter (a run is seconds).
# Environment: SEEDS (default 3), STEPS (default 30).
set -euo pipefail

root="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$root"
if [[ -d /usr/lib/jvm/temurin-25-jdk-amd64 ]]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
seeds="${SEEDS:-3}"
steps="${STEPS:-30}"
work="$root/bench/results/tmp/claims-dphrl"
rm -rf "$work"
mkdir -p "$work" bench/results

echo "== building services/training (the claims main lives in its test classes)"
build=(-q -pl services/training test-compile dependency:build-classpath "-Dmdep.outputFile=$work/classpath.txt"
       -Dmdep.includeScope=test)
./mvnw -o "${build[@]}" || ./mvnw "${build[@]}"
classpath="$root/services/training/target/test-classes:$root/services/training/target/classes:$(cat "$work/classpath.txt")"

echo "== running the protocol ($seeds seeds, $steps steps)"
# from services/training: the built-in tiny LM is made once under its target/trainer-test-data (shared with the tests)
(cd services/training && "$JAVA" -cp "$classpath" dev.divergence.training.claims.DphRlClaims "$work" "$seeds" "$steps" 2>&1) \
  | { grep -vE "\[main\] (INFO|WARN)|^WARNING|LegacyTypeDispatch|^$" || true; }
cp "$work/claims-dphrl.json" bench/results/claims-dphrl.json
cp "$work/claims-dphrl.md" bench/results/claims-dphrl.md
echo "== wrote bench/results/claims-dphrl.json and bench/results/claims-dphrl.md"
