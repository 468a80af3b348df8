#!/usr/bin/env bash
# Runs a benchmark suite and its baselines in the same run on the same machine.
#   bench/run.sh divergence   -> bench/results/divergence.json  (schema: bench/RESULTS.md)
#   bench/run.sh model        -> bench/results/model.json
# Environment: JMH_ARGS overrides the JMH run settings; PYTHON the interpreter of the baselines
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
  *)
    echo "usage: bench/run.sh divergence|model" >&2
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

# the machine may be shared: record its load so that noisy figures can be recognised as such
cat /proc/loadavg > "$work/loadavg_before" 2>/dev/null || true

echo "== baselines ($PYTHON)"
"$PYTHON" "$baseline" "$work"

echo "== JMH"
# the Vector API is an incubator module: every JVM that runs the kernels sets the flag
# generous warm-up: the Vector API kernels are slow until C2 has compiled them
jmh_args=${JMH_ARGS:-"-f 1 -wi 4 -w 2s -i 5 -r 2s -tu s"}
# shellcheck disable=SC2086
"$JAVA" --add-modules=jdk.incubator.vector -cp "$classpath" org.openjdk.jmh.Main \
  $jmh_args -jvmArgsAppend "--add-modules=jdk.incubator.vector -Dbench.data=$work" \
  -rf json -rff "$work/jmh.json" 2>&1 | grep -v "WARNING: Using incubator modules"

cat /proc/loadavg > "$work/loadavg_after" 2>/dev/null || true

echo "== results"
"$PYTHON" "$here/baselines/combine_results.py" "$suite" "$work/jmh.json" "$work/baselines.json" \
  "$here/results/$suite.json" "bench/run.sh $suite"
