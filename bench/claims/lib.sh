# Sourced by each bench/claims/*/run.sh: what running a claims study takes, in one place. A study's main
# lives in a module's test classes; it gets a work folder and its own arguments, and writes RESULT.json and
# RESULT.md there, which are copied to bench/results/OUTPUT.json and .md. An accuracy study, not a timing.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
if [[ -d /usr/lib/jvm/temurin-25-jdk-amd64 ]]; then
  export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64
fi
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

# run_claims MODULE MAIN RESULT OUTPUT [ARGS...]
# Runs from MODULE's folder (built-in models are then made once under its target/, as its tests do) unless
# CLAIMS_RUN_IN names another folder.
run_claims() {
  local module="$1" main="$2" result="$3" output="$4"
  shift 4
  local work="$root/bench/results/tmp/$output"
  rm -rf "$work"
  mkdir -p "$work" "$root/bench/results"

  echo "== building $module (the claims main lives in its test classes)"
  local build=(-q -pl "$module" test-compile dependency:build-classpath "-Dmdep.outputFile=$work/classpath.txt"
               -Dmdep.includeScope=test)
  ./mvnw -o "${build[@]}" || ./mvnw "${build[@]}"
  local classpath="$root/$module/target/test-classes:$root/$module/target/classes:$(cat "$work/classpath.txt")"

  echo "== running ${main##*.} $*"
  (cd "${CLAIMS_RUN_IN:-$root/$module}" && "$JAVA" -cp "$classpath" "$main" "$work" "$@") 2>&1 \
    | { grep -vE "\[main\] (INFO|WARN)|^WARNING|LegacyTypeDispatch|^$" || true; }
  cp "$work/$result.json" "$root/bench/results/$output.json"
  cp "$work/$result.md" "$root/bench/results/$output.md"
  echo "== wrote bench/results/$output.json and bench/results/$output.md"
}
