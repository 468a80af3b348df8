#!/usr/bin/env bash
# bench/run.sh claims-fdpg -> bench/results/claims-fdpg.json and bench/results/claims-fdpg.md
# The f-DPG claim on the product's own mini-benchmark (issue 13): per divergence (kl, reverse_kl, js, tv and
# Amari alpha 0.5), alignment (satisfaction of the constraint "contains 7", E_pi[b]) against the distance from
# the base (KL(pi || base)) and diversity (distinct-1/2, entropy) after STEPS steps of f-DPG on the built-in
# tiny LM, over SEEDS training seeds with Student-t 95 % intervals. Both seed papers report JS as the best
# balance. The main is services/training's FDpgClaims (test classes), which documents the setup. An
# accuracy study, not a timing: the load of the machine does not matter (about a minute per run on 2 cores).
# Environment: SEEDS (default 3), STEPS (default 30), DIVERGENCES (default kl,reverse_kl,js,tv,alpha).
source "$(dirname "$0")/../lib.sh"

run_claims services/training dev.divergence.training.claims.FDpgClaims claims-fdpg claims-fdpg \
  "${SEEDS:-3}" "${STEPS:-30}" "${DIVERGENCES:-kl,reverse_kl,js,tv,alpha}"
