#!/usr/bin/env bash
# bench/run.sh claims-t3 -> bench/results/claims-t3.json and bench/results/claims-t3.md
# Reproduces the direction of the T³ paper's claims on the product's shipped protocol (issue 12): every
# merge method of services/merging on every split of each generalist / expert pair (the test part of the
# registered dataset variants that training, evaluation and merging share), over SEEDS paired bootstrap
# resamples with Student-t intervals. The main is services/merging's T3Claims (test classes), which
# documents the claims and when each one counts as holding. An accuracy study, not a timing: the load of
# the machine does not matter. Environment: SEEDS (default 10), MERGING_DATA the models' folder (default
# bench/merging/target/data, shared with bench/run.sh merging; the built-in pairs are trained there on
# first use, a minute or two).
set -euo pipefail

root="$(cd "$(dirname "$0")/../../.." && pwd)"
cd "$root"
if [[ -d /usr/lib/jvm/temurin-25-jdk-amd64 ]]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
seeds="${SEEDS:-10}"
data="${MERGING_DATA:-bench/merging/target/data}"
work="bench/results/tmp/claims-t3"
rm -rf "$work"
mkdir -p "$work" "$data" bench/results

echo "== building services/merging (the claims main lives in its test classes)"
build=(-q -pl services/merging test-compile dependency:build-classpath "-Dmdep.outputFile=$root/$work/classpath.txt"
       -Dmdep.includeScope=test)
./mvnw -o "${build[@]}" || ./mvnw "${build[@]}"
classpath="services/merging/target/test-classes:services/merging/target/classes:$(cat "$work/classpath.txt")"

echo "== running the protocol ($seeds seeds)"
"$JAVA" -cp "$classpath" dev.divergence.merging.claims.T3Claims "$work" "$data" "$seeds" 2>&1 \
  | { grep -vE "\[main\] (INFO|WARN)|^WARNING|LegacyTypeDispatch|^$" || true; }
cp "$work/claims-t3.json" bench/results/claims-t3.json
cp "$work/claims-t3.md" bench/results/claims-t3.md
echo "== wrote bench/results/claims-t3.json and bench/results/claims-t3.md"
