#!/usr/bin/env bash
# Follow a training job's server-sent events until it ends: one "job" event per change (state,
# step, latest metrics); the server closes the stream once the job is SUCCEEDED, FAILED or
# CANCELLED. -N turns off curl's buffering so each event prints as it arrives. Evaluation runs
# (/api/v1/evaluation/runs/{runId}/events, event "run") and merge experiments
# (/api/v1/merging/experiments/{experimentId}/events, event "experiment") stream the same way.
#   DIVERGENCE_URL, DIVERGENCE_API_KEY (a viewer key or stronger)
#   usage: follow-events.sh <jobId>
set -euo pipefail
URL=${DIVERGENCE_URL:-http://localhost:8080}
KEY=${DIVERGENCE_API_KEY:?set DIVERGENCE_API_KEY}
JOB_ID=${1:?usage: follow-events.sh <jobId>}

# an upper bound for the whole stream (not per event): --max-time ends it with exit code 28
curl -sS -N --max-time "${STREAM_MAX_TIME:-600}" -H "X-Api-Key: $KEY" -H 'Accept: text/event-stream' \
  "$URL/api/v1/training/jobs/$JOB_ID/events" |
while IFS= read -r line; do
  case "$line" in
    data:*) jq -r '"\(.job.state) step \(.job.progress.step)/\(.job.progress.totalSteps)"' <<<"${line#data:}" ;;
  esac
done
echo "stream ended; the job is $(curl -sS --fail-with-body --max-time 30 -H "X-Api-Key: $KEY" "$URL/api/v1/training/jobs/$JOB_ID" | jq -r .state)"
