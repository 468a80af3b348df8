#!/usr/bin/env bash
# bench/run.sh claims-dphrl -> bench/results/claims-dphrl.json and bench/results/claims-dphrl.md
# The DPH-RL claim (issue 13) on the product's own mini-benchmark: RLVR (GRPO) on the tiny LM with four
# regularisers (none, k3 KL in the loss, forward-KL rehearsal, JS rehearsal), SEEDS seeds each, held-out
# pass@1 and pass@k (k up to the 16 samples) over training, means with Student-t 95 % intervals over seeds.
# The main is services/training's DphRlClaims (test classes), which documents the task and why it was
# chosen. An accuracy study, not a timing: the load of the machine does not matter (a run is seconds).
# Environment: SEEDS (default 3), STEPS (default 30).
source "$(dirname "$0")/../lib.sh"

run_claims services/training dev.divergence.training.claims.DphRlClaims claims-dphrl claims-dphrl \
  "${SEEDS:-3}" "${STEPS:-30}"
