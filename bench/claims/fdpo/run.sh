#!/usr/bin/env bash
# bench/run.sh claims-fdpo -> bench/results/claims-fdpo.json and bench/results/claims-fdpo.md
# The f-DPO claim on the product's own mini-benchmark (issue 13): per divergence (reverse_kl = DPO, kl, js and
# Amari alpha 0.5), preference accuracy (rewards/accuracies and f_scores/accuracies as the trainer logs them) and
# margins over the first and the last steps, held-out accuracy before and after, and the distinct-1/2 of sampled
# answers, on FDpoTrainerTest's 18 arithmetic pairs and on the built-in arithmetic-preferences set, over SEEDS
# training seeds with Student-t 95 % intervals. The main is services/training's FDpoClaims (test classes), which
# documents the setup. An accuracy study, not a timing: the load of the machine does not matter.
# Environment: SEEDS (default 3), STEPS (default 25), DIVERGENCES (default reverse_kl,kl,js,alpha),
# DATASETS (default pairs18,builtin).
set -euo pipefail

root="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$root"
if [[ -d /usr/lib/jvm/temurin-25-jdk-amd64 ]]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
seeds="${SEEDS:-3}"
steps="${STEPS:-25}"
divergences="${DIVERGENCES:-reverse_kl,kl,js,alpha}"
datasets="${DATASETS:-pairs18,builtin}"
work="$root/bench/results/tmp/claims-fdpo"
rm -rf "$work"
mkdir -p "$work" bench/results

echo "== building services/training (the claims main lives in its test classes)"
build=(-q -pl services/training test-compile dependency:build-classpath "-Dmdep.outputFile=$work/classpath.txt"
       -Dmdep.includeScope=test)
./mvnw -o "${build[@]}" || ./mvnw "${build[@]}"
module="$root/services/training"
classpath="$module/target/test-classes:$module/target/classes:$(cat "$work/classpath.txt")"

echo "== training f-DPO ($divergences on $datasets; $seeds seeds, $steps steps each)"
# from the module's folder: the built-in tiny LM is made (once) under its target/, as the trainer tests do
(cd "$module" && "$JAVA" -cp "$classpath" dev.divergence.training.claims.FDpoClaims "$work" "$seeds" "$steps" "$divergences" "$datasets") 2>&1 \
  | { grep -vE "\[main\] (INFO|WARN)|^WARNING|LegacyTypeDispatch|^$" || true; }
cp "$work/claims-fdpo.json" bench/results/claims-fdpo.json
cp "$work/claims-fdpo.md" bench/results/claims-fdpo.md
echo "== wrote bench/results/claims-fdpo.json and bench/results/claims-fdpo.md"
