#!/usr/bin/env bash
# Make an API key with the admin API, call the platform with it, list the keys, revoke it.
#   DIVERGENCE_URL      the gateway (default http://localhost:8080)
#   DIVERGENCE_API_KEY  an admin (or tenant-admin) key, e.g. $(cat .data/secrets/admin-api-key)
set -euo pipefail
URL=${DIVERGENCE_URL:-http://localhost:8080}
ADMIN=${DIVERGENCE_API_KEY:?set DIVERGENCE_API_KEY to an admin key}

# 1. a submitter key for the caller's own tenant; "apiKey" is in this answer only, never again
created=$(curl -sS --fail-with-body --max-time 30 -X POST "$URL/api/v1/admin/api-keys" \
  -H "X-Api-Key: $ADMIN" -H 'Content-Type: application/json' \
  -d '{"name": "ci-pipeline", "roles": ["submitter"]}')
key_id=$(jq -r '.key.keyId' <<<"$created")
key=$(jq -r '.apiKey' <<<"$created")
echo "created key $key_id for tenant $(jq -r '.key.tenant' <<<"$created") with roles $(jq -c '.key.roles' <<<"$created")"

# 2. the new key works, as X-Api-Key or as a bearer token
status=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 30 -H "X-Api-Key: $key" "$URL/api/v1/training/jobs?pageSize=1")
echo "GET /api/v1/training/jobs with the new key (X-Api-Key): $status"
status=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 30 -H "Authorization: Bearer $key" "$URL/api/v1/training/jobs?pageSize=1")
echo "GET /api/v1/training/jobs with the new key (Authorization: Bearer): $status"

# 3. a submitter may not manage keys: 403 problem+json
status=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 30 -H "X-Api-Key: $key" "$URL/api/v1/admin/api-keys")
echo "GET /api/v1/admin/api-keys with the submitter key: $status"

# 4. the admin lists keys (never their secrets)
listed=$(curl -sS --fail-with-body --max-time 30 -H "X-Api-Key: $ADMIN" "$URL/api/v1/admin/api-keys")
echo "listed: $(jq --arg id "$key_id" '[.keys[] | select(.keyId == $id)] | length' <<<"$listed") key(s) with id $key_id"

# 5. revoke it; from now on it is refused with 401
curl -sS --fail-with-body --max-time 30 -X DELETE -H "X-Api-Key: $ADMIN" "$URL/api/v1/admin/api-keys/$key_id" >/dev/null
status=$(curl -sS -o /dev/null -w '%{http_code}' --max-time 30 -H "X-Api-Key: $key" "$URL/api/v1/training/jobs?pageSize=1")
echo "GET /api/v1/training/jobs with the revoked key: $status"
