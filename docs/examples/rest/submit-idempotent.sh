#!/usr/bin/env bash
# Submit a training job with an Idempotency-Key, then submit it again as a client would after a
# timeout or a dropped connection: the second answer is the same job (200), not a second job (201).
#   DIVERGENCE_URL, DIVERGENCE_API_KEY (a submitter key or stronger)
#   IDEMPOTENCY_KEY     optional; a fresh one per logical submission (default: a random UUID)
set -euo pipefail
URL=${DIVERGENCE_URL:-http://localhost:8080}
KEY=${DIVERGENCE_API_KEY:?set DIVERGENCE_API_KEY}
IDEMPOTENCY_KEY=${IDEMPOTENCY_KEY:-$(cat /proc/sys/kernel/random/uuid 2>/dev/null || uuidgen)}

job='{"displayName": "kd js (integration example)",
      "spec": {"algorithm": "distillation", "model": "breast-cancer-mlp-student", "dataset": "breast-cancer",
               "budget": {"maxSteps": 20},
               "distillation": {"teacherModel": "breast-cancer-mlp-teacher", "divergence": {"name": "js"}}}}'

submit() {
  # -w appends the status on its own line after the body
  curl -sS --max-time 30 -X POST "$URL/api/v1/training/jobs" -H "X-Api-Key: $KEY" \
    -H 'Content-Type: application/json' -H "Idempotency-Key: $IDEMPOTENCY_KEY" -d "$job" -w '\n%{http_code}'
}

first=$(submit)
first_status=$(tail -n1 <<<"$first")
first_id=$(head -n -1 <<<"$first" | jq -r '.jobId')
echo "submitted: $first_status job $first_id"

again=$(submit)
again_status=$(tail -n1 <<<"$again")
again_id=$(head -n -1 <<<"$again" | jq -r '.jobId')
echo "submitted again with the same Idempotency-Key: $again_status job $again_id"
[ "$first_id" = "$again_id" ] && echo "same job: yes" || { echo "same job: NO"; exit 1; }
