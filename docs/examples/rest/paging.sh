#!/usr/bin/env bash
# Page through a list: training jobs, newest first, PAGE_SIZE at a time. Each page answers
# {"jobs": [...], "nextPageToken": "..."}; pass the token back as pageToken until it is absent.
# Evaluation runs (/api/v1/evaluation/runs, "runs") and merge experiments
# (/api/v1/merging/experiments, "experiments") page the same way.
#   DIVERGENCE_URL, DIVERGENCE_API_KEY (a viewer key or stronger), PAGE_SIZE (default 2)
set -euo pipefail
URL=${DIVERGENCE_URL:-http://localhost:8080}
KEY=${DIVERGENCE_API_KEY:?set DIVERGENCE_API_KEY}
PAGE_SIZE=${PAGE_SIZE:-2}

token=""
pages=0
total=0
while : ; do
  page=$(curl -sS --fail-with-body --max-time 30 -G "$URL/api/v1/training/jobs" -H "X-Api-Key: $KEY" \
    --data-urlencode "pageSize=$PAGE_SIZE" ${token:+--data-urlencode "pageToken=$token"})
  pages=$((pages + 1))
  count=$(jq '.jobs | length' <<<"$page")
  total=$((total + count))
  echo "page $pages: $(jq -r '[.jobs[].jobId] | join(" ")' <<<"$page")"
  token=$(jq -r '.nextPageToken // empty' <<<"$page")
  [ -n "$token" ] || break
done
echo "jobs: $total in $pages pages"
