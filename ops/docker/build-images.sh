#!/bin/bash
# Builds the five service images (gateway, training — also the Kubernetes worker image —, inference,
# evaluation, merging) from their Spring Boot jars, tagged with the project version:
#   divergence/<service>:<version>   (and :latest unless NO_LATEST=1)
# The jars are built first (./mvnw -q -DskipTests package) when one is missing or older than its sources.
#   usage: ops/docker/build-images.sh [service ...]      (default: all five)
# Environment: IMAGE_PREFIX (default divergence/), IMAGE_TAG (default: the project version),
# JRE_IMAGE (default eclipse-temurin:25-jre), NO_LATEST=1 (no :latest tag).
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
prefix="${IMAGE_PREFIX:-divergence/}"
jre="${JRE_IMAGE:-eclipse-temurin:25-jre}"
services=("$@")
[[ ${#services[@]} -gt 0 ]] || services=(gateway training inference evaluation merging)

jar_of() { if [[ "$1" == gateway ]]; then echo gateway/target/gateway.jar; else echo "services/$1/target/$1.jar"; fi; }
ports_of() {
  case "$1" in
    gateway) echo "8080 9090" ;; training) echo "8081 9081" ;; inference) echo "8082 9082" ;;
    evaluation) echo "8083 9083" ;; merging) echo "8084 9084" ;;
    *) echo "unknown service '$1' (gateway, training, inference, evaluation, merging)" >&2; exit 2 ;;
  esac
}

# a jar is rebuilt when it is missing or older than any main source or pom it is made from (its module,
# the libraries, the protos): an image of a stale jar would not be the code of this checkout
module_of() { if [[ "$1" == gateway ]]; then echo gateway; else echo "services/$1"; fi; }
stale=()
for s in "${services[@]}"; do
  ports_of "$s" >/dev/null
  jar="$(jar_of "$s")"
  if [[ ! -f "$jar" ]] || [[ -n "$(find "$(module_of "$s")" libs shared-proto pom.xml \( -path '*/src/main/*' -o -name pom.xml \) -type f -newer "$jar" -print -quit)" ]]; then
    stale+=("$(module_of "$s")")
  fi
done
if [[ ${#stale[@]} -gt 0 ]]; then
  echo "building the jars of ${stale[*]} (./mvnw -q -DskipTests package)"
  modules="$(IFS=,; echo "${stale[*]}")"
  ./mvnw -q -DskipTests package -pl "$modules" -am
fi

version="${IMAGE_TAG:-}"
[[ -n "$version" ]] || version="$(sed -n '/<artifactId>divergence-parent<\/artifactId>/,/<\/version>/s:.*<version>\(.*\)</version>.*:\1:p' pom.xml | head -1)"
[[ -n "$version" ]] || { echo "cannot read the project version from pom.xml" >&2; exit 1; }
revision="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
created="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
source_url="$(git remote get-url origin 2>/dev/null || true)"
[[ "$source_url" == http* ]] || source_url=""
# a small build context: only the jar travels to the daemon
ctx="$(mktemp -d)"
trap 'rm -rf "$ctx"' EXIT
for s in "${services[@]}"; do
  read -r http grpc < <(ports_of "$s")
  cp "$(jar_of "$s")" "$ctx/app.jar"
  tags=(-t "${prefix}${s}:${version}")
  [[ "${NO_LATEST:-0}" == 1 ]] || tags+=(-t "${prefix}${s}:latest")
  echo "building ${prefix}${s}:${version}"
  docker build -q -f ops/docker/Dockerfile "${tags[@]}" \
    --build-arg JRE_IMAGE="$jre" --build-arg JAR=app.jar --build-arg SERVICE="$s" \
    --build-arg VERSION="$version" --build-arg REVISION="$revision" --build-arg CREATED="$created" --build-arg SOURCE="$source_url" \
    --build-arg HTTP_PORT="$http" --build-arg GRPC_PORT="$grpc" "$ctx" 2> >(grep -v -e DEPRECATED -e 'legacy builder' -e buildx -e 'docs.docker.com/go/buildx' -e '^ *$' >&2)
  rm -f "$ctx/app.jar"
done
# the legacy builder keeps the layer-extraction stage as an untagged image
docker image prune -f --filter label=dev.divergence.build-stage=layers >/dev/null
