#!/usr/bin/env bash
# bench/run.sh claims-fdpg -> bench/results/claims-fdpg.json and bench/results/claims-fdpg.md
# The f-DPG claim on the product's own mini-benchmark (issue 13): per divergence (kl, reverse_kl, js, tv and
# Amari alpha 0.5), alignment (satisfaction of the constraint "contains 7", E_pi[b]) against the distance from
# the base (KL(pi || base)) and diversity (distinct-1/2, entropy) after STEPS steps of f-DPG on the built-in
# tiny LM, over SEEDS training seeds with Student-t 95 % intervals. Both seed papers report JS as the best
# balance. The main is services/training's FDpgClaims (test classes), which documents the setup. An
# accuracy study, not a timing: the load of the machine does not matter (about a minute per run on 2 cores).
# Environment: SEEDS (default 3), STEPS (default 30), DIVERGENCES (default kl,reverse_kl,js,tv,alpha).
set -euo pipefail

root="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$root"
if [[ -d /usr/lib/jvm/temurin-25-jdk-amd64 ]]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
seeds="${SEEDS:-3}"
steps="${STEPS:-30}"
divergences="${DIVERGENCES:-kl,reverse_kl,js,tv,alpha}"
work="$root/bench/results/tmp/claims-fdpg"
rm -rf "$work"
mkdir -p "$work" bench/results

echo "== building services/training (the claims main lives in its test classes)"
build=(-q -pl services/training test-compile dependency:build-classpath "-Dmdep.outputFile=$work/classpath.txt"
       -Dmdep.includeScope=test)
./mvnw -o "${build[@]}" || ./mvnw "${build[@]}"
module="$root/services/training"
classpath="$module/target/test-classes:$module/target/classes:$(cat "$work/classpath.txt")"

echo "== training f-DPG ($divergences; $seeds seeds, $steps steps each)"
# from the module's folder: the built-in tiny LM is made (once) under its target/, as the trainer tests do
(cd "$module" && "$JAVA" -cp "$classpath" dev.divergence.training.claims.FDpgClaims "$work" "$seeds" "$steps" "$divergences") 2>&1 \
  | { grep -vE "\[main\] (INFO|WARN)|^WARNING|LegacyTypeDispatch|^$" || true; }
cp "$work/claims-fdpg.json" bench/results/claims-fdpg.json
cp "$work/claims-fdpg.md" bench/results/claims-fdpg.md
echo "== wrote bench/results/claims-fdpg.json and bench/results/claims-fdpg.md"
