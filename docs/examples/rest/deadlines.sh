#!/usr/bin/env bash
# Deadlines over REST: give every call a client-side upper bound (--max-time, or your HTTP
# client's request timeout). The gateway itself gives a service 30 s to answer and then answers 503
# problem+json ("no answer within 30000 ms"); a stream has no such limit, so bound it yourself.
# Here a long job's event stream is cut after 3 s (curl's exit code 28 is its timeout), and the job
# is cancelled: cancellation is what stops server-side work, a client timeout is not.
#   DIVERGENCE_URL, DIVERGENCE_API_KEY (a submitter key or stronger)
set -euo pipefail
URL=${DIVERGENCE_URL:-http://localhost:8080}
KEY=${DIVERGENCE_API_KEY:?set DIVERGENCE_API_KEY}

job=$(curl -sS --fail-with-body --max-time 10 -X POST "$URL/api/v1/training/jobs" -H "X-Api-Key: $KEY" \
  -H 'Content-Type: application/json' -d '{"displayName": "long job (deadline example)",
  "spec": {"algorithm": "distillation", "model": "breast-cancer-mlp-student", "dataset": "breast-cancer",
           "budget": {"maxSteps": 1000000},
           "distillation": {"teacherModel": "breast-cancer-mlp-teacher", "divergence": {"name": "kl"}}}}')
job_id=$(jq -r .jobId <<<"$job")
echo "submitted job $job_id"

set +e
curl -sS -N --max-time 3 -H "X-Api-Key: $KEY" "$URL/api/v1/training/jobs/$job_id/events" >/dev/null 2>&1
code=$?
set -e
echo "event stream with --max-time 3: curl exit code $code"

cancelled=$(curl -sS --fail-with-body --max-time 10 -X POST -H "X-Api-Key: $KEY" "$URL/api/v1/training/jobs/$job_id/cancel")
echo "cancel answered: state $(jq -r .state <<<"$cancelled"), cancelRequested $(jq -r .cancelRequested <<<"$cancelled")"
