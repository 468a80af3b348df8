#!/bin/bash
# The compose test: runs docker-compose.yml for real and checks the README round trip through the gateway.
#  1. a Docker engine (installed from Debian's packages and started when none runs)
#  2. stand-ins for the public base images that cannot be pulled (ops/docker/stand-ins)
#  3. the five service images (ops/docker/build-images.sh, under a tag of this run)
#  4. docker-compose up, every container healthy
#  5. through the gateway's published loopback port, with the bootstrap admin key: a distillation job
#     SUCCEEDED, evaluation tracked it and evaluated its model automatically, inference serves the new
#     model, tiny-lm answers a generation
#  6. down + up: the job, its evaluation and the model are still there
#  7. down -v, the images this run built removed (stand-ins too unless --keep-stand-ins), the engine
#     stopped if this script started it
# Each phase prints its wall time.  usage: ops/docker/compose-test.sh [--keep-stand-ins]
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
keep_stand_ins=false
[[ "${1:-}" == --keep-stand-ins ]] && keep_stand_ins=true
export JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"

t0=$(date +%s); phase_start=$t0; phase_name=""
phase() {
  local now; now=$(date +%s)
  [[ -z "$phase_name" ]] || printf '== %-40s %4d s\n' "$phase_name" $((now - phase_start))
  phase_name="$1"; phase_start=$now
  [[ -z "$1" ]] || echo "-- $1"
}
fail() { echo "FAILED: $*" >&2; exit 1; }

work="$(mktemp -d)"
project="dvgcomposetest$$"
tag="compose-test-$$"
prefix="divergence/"
started_dockerd=""
made_stand_ins=()
compose() { docker-compose -p "$project" --env-file "$work/env" -f "$repo/docker-compose.yml" "$@"; }

cleanup() {
  local rc=$?
  phase "cleanup"
  if docker info >/dev/null 2>&1; then
    if [[ -f "$work/volumes-before" ]]; then
      if [[ $rc -ne 0 ]]; then
        compose ps || true
        compose logs --no-color > "${TMPDIR:-/tmp}/$project.log" 2>&1 || true
        echo "the containers' logs: ${TMPDIR:-/tmp}/$project.log" >&2
      fi
      compose down -v --remove-orphans --timeout 30 >/dev/null 2>&1 || true
      # every volume the run made is gone (an anonymous volume of a container that down removed is not)
      local leftover
      leftover="$(comm -13 <(sort "$work/volumes-before") <(docker volume ls -q | sort))"
      if [[ -n "$leftover" ]]; then
        echo "FAILED: volumes left behind: $leftover" >&2
        docker volume rm $leftover >/dev/null 2>&1 || true
        rc=1
      fi
    fi
    for s in gateway training inference evaluation merging; do docker rmi "${prefix}${s}:${tag}" >/dev/null 2>&1 || true; done
    docker image prune -f --filter label=dev.divergence.build-stage=layers >/dev/null 2>&1 || true
    if ! $keep_stand_ins; then
      # the last made first: the Kafka stand-in is built on the JRE one, the JRE on the Debian one
      for (( i=${#made_stand_ins[@]}-1; i>=0; i-- )); do docker rmi "${made_stand_ins[i]}" >/dev/null 2>&1 || true; done
    fi
  fi
  if [[ -n "$started_dockerd" ]]; then
    kill "$started_dockerd" 2>/dev/null || true
    for _ in $(seq 30); do kill -0 "$started_dockerd" 2>/dev/null || break; sleep 1; done
  fi
  rm -rf "$work"
  phase ""
  echo "compose test $([[ $rc -eq 0 ]] && echo PASSED || echo FAILED) in $(( $(date +%s) - t0 )) s"
  exit $rc
}
trap cleanup EXIT

# ---- 1. engine ------------------------------------------------------------------------------------
phase "docker engine"
if ! command -v dockerd >/dev/null || ! command -v docker-compose >/dev/null; then
  # a fresh machine may have no package lists yet; another test may hold the dpkg lock for a while
  apt_install() { apt-get -o DPkg::Lock::Timeout=300 install -y -qq "$@" >/dev/null 2>&1 \
    || { apt-get -o DPkg::Lock::Timeout=300 update -qq >/dev/null && apt-get -o DPkg::Lock::Timeout=300 install -y -qq "$@" >/dev/null; }; }
  apt_install docker.io docker-compose
fi
if ! docker info >/dev/null 2>&1; then
  dockerd > "$work/dockerd.log" 2>&1 &
  started_dockerd=$!
  for _ in $(seq 60); do docker info >/dev/null 2>&1 && break; sleep 1; done
  docker info >/dev/null 2>&1 || { cat "$work/dockerd.log" >&2; fail "dockerd did not start"; }
fi

# ---- 2. stand-ins for base images -----------------------------------------------------------------
phase "base images (stand-ins where missing)"
for image in local/debian:bookworm eclipse-temurin:25-jre postgres:17 apache/kafka:4.1.2; do
  docker image inspect "$image" >/dev/null 2>&1 || made_stand_ins+=("$image")
done
ops/docker/stand-ins/build-stand-ins.sh >/dev/null

# ---- 3. service images ----------------------------------------------------------------------------
phase "service images"
IMAGE_TAG="$tag" NO_LATEST=1 IMAGE_PREFIX="$prefix" ops/docker/build-images.sh >/dev/null

# ---- 4. up ----------------------------------------------------------------------------------------
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
gateway_port=$(free_port)
admin_key="dvg_$(head -c 8 /dev/urandom | od -An -tx1 | tr -d ' \n')_$(head -c 32 /dev/urandom | basenc --base64url | tr -d '=')"
cat > "$work/env" <<ENV
POSTGRES_PASSWORD=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
DIVERGENCE_SECURITY_IDENTITY_SECRET=$(head -c 32 /dev/urandom | base64)
DIVERGENCE_ADMIN_KEY=$admin_key
DIVERGENCE_VERSION=$tag
DIVERGENCE_IMAGE_PREFIX=$prefix
GATEWAY_PORT=$gateway_port
GATEWAY_GRPC_PORT=$(free_port)
POSTGRES_PORT=$(free_port)
KAFKA_PORT=$(free_port)
DIVERGENCE_BUILT_IN_BUDGET=small
DIVERGENCE_MERGING_BUILT_IN_CLASSIFIER_STEPS=20
ENV
gw="http://127.0.0.1:$gateway_port"

await_healthy() {
  local deadline=$(( $(date +%s) + $1 )) unhealthy
  while true; do
    unhealthy=""
    for c in $(compose ps -q); do
      status="$(docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$c")"
      [[ "$status" == healthy ]] || unhealthy+=" $(docker inspect -f '{{.Name}}' "$c")=$status"
    done
    [[ -n "$(compose ps -q)" && -z "$unhealthy" ]] && return 0
    (( $(date +%s) < deadline )) || fail "not healthy after $1 s:$unhealthy"
    sleep 5
  done
}
docker volume ls -q > "$work/volumes-before"
phase "up, every container healthy"
compose up -d >/dev/null 2>&1 || { compose up -d; fail "docker-compose up"; }
await_healthy 900

# ---- 5. round trip through the gateway ------------------------------------------------------------
api() { # method path [body] -> body in $work/body, status echoed
  local method=$1 path=$2 body=${3:-}
  if [[ -n "$body" ]]; then
    curl -s -o "$work/body" -w '%{http_code}' -X "$method" -H "X-Api-Key: $admin_key" -H 'Content-Type: application/json' --data "$body" "$gw$path"
  else
    curl -s -o "$work/body" -w '%{http_code}' -X "$method" -H "X-Api-Key: $admin_key" "$gw$path"
  fi
}
await() { # description timeout-seconds command...
  local what=$1 timeout=$2; shift 2
  local deadline=$(( $(date +%s) + timeout ))
  until "$@"; do
    (( $(date +%s) < deadline )) || { cat "$work/body" >&2 2>/dev/null || true; fail "$what (waited $timeout s)"; }
    sleep 3
  done
}
phase "round trip: distillation job SUCCEEDED"
status=$(api POST /api/v1/training/jobs '{"displayName":"compose test","spec":{"algorithm":"distillation",
  "model":"breast-cancer-mlp-student","dataset":"breast-cancer","budget":{"maxSteps":20},
  "distillation":{"teacherModel":"breast-cancer-mlp-teacher","divergence":{"name":"reverse_kl"}}}}')
[[ "$status" == 201 ]] || { cat "$work/body" >&2; fail "job submission answered $status"; }
job=$(jq -r .jobId "$work/body")
job_state() { api GET "/api/v1/training/jobs/$job" >/dev/null; jq -r .state "$work/body"; }
job_done() { local s; s=$(job_state); [[ "$s" == SUCCEEDED ]] || { [[ "$s" == FAILED || "$s" == CANCELLED ]] && fail "job $job ended $s: $(cat "$work/body")"; false; }; }
await "job $job SUCCEEDED" 600 job_done
output_model=$(jq -r .outputModel "$work/body")
model_name=${output_model%:*}
echo "job $job SUCCEEDED, model $output_model"

phase "round trip: evaluation recorded and evaluated it"
tracked() { [[ "$(api GET "/api/v1/evaluation/training-jobs/$job")" == 200 ]] && jq -e '.state == "SUCCEEDED"' "$work/body" >/dev/null; }
await "evaluation tracked job $job as SUCCEEDED" 120 tracked
evaluated() {
  [[ "$(api GET "/api/v1/evaluation/training-jobs/$job/evaluations")" == 200 ]] || return 1
  local s; s=$(jq -r '.[0].state // empty' "$work/body")
  [[ "$s" == FAILED || "$s" == CANCELLED ]] && fail "automatic evaluation ended $s: $(cat "$work/body")"
  [[ "$s" == SUCCEEDED ]]
}
await "automatic evaluation of $output_model SUCCEEDED" 600 evaluated
jq -e --arg v "$output_model" '.[0].modelVersion == $v and .[0].trigger == "automatic"' "$work/body" >/dev/null \
  || fail "evaluation run is not the automatic run of $output_model: $(cat "$work/body")"

phase "round trip: inference serves the model, tiny-lm generates"
served() { [[ "$(api GET "/api/v1/inference/models/$model_name")" == 200 ]] && jq -e '.state == "READY"' "$work/body" >/dev/null; }
await "inference serves $model_name" 300 served
[[ "$(api GET /api/v1/inference/models)" == 200 ]] && jq -e --arg m "$model_name" 'tostring | contains($m)' "$work/body" >/dev/null \
  || fail "$model_name not in the model list: $(cat "$work/body")"
generated() {
  [[ "$(api POST /api/v1/inference/generate '{"model":"tiny-lm","prompt":"12+7=","maxTokens":8,"strategy":{"name":"greedy"}}')" == 200 ]]
}
await "tiny-lm generates" 600 generated
echo "tiny-lm: $(jq -c . "$work/body" | head -c 300)"
jq -e ".text | type == \"string\"" "$work/body" >/dev/null || fail "no generated text: $(cat "$work/body")"

# ---- 6. data survives down + up -------------------------------------------------------------------
phase "down + up, every container healthy"
compose down --timeout 30 >/dev/null 2>&1
compose up -d >/dev/null 2>&1 || { compose up -d; fail "docker-compose up (second time)"; }
await_healthy 600
phase "data survived"
job_succeeded() { [[ "$(job_state)" == SUCCEEDED ]]; }
await "job $job still SUCCEEDED after down + up" 60 job_succeeded
[[ "$(api GET "/api/v1/evaluation/training-jobs/$job/evaluations")" == 200 ]] \
  && jq -e '.[0].state == "SUCCEEDED"' "$work/body" >/dev/null || fail "evaluation of $job lost: $(cat "$work/body")"
await "inference serves $model_name after down + up" 300 served
phase "" # the cleanup trap prints its own phase
phase_name=""
