#!/usr/bin/env bash
# bench/run.sh claims-fdpo -> bench/results/claims-fdpo.json and bench/results/claims-fdpo.md
# The f-DPO claim on the product's own mini-benchmark (issue 13): per divergence (reverse_kl = DPO, kl, js and
# Amari alpha 0.5), preference accuracy (rewards/accuracies and f_scores/accuracies as the trainer logs them) and
# margins over the first and the last steps, held-out accuracy before and after, and the distinct-1/2 of sampled
# answers, on FDpoTrainerTest's 18 arithmetic pairs and on the built-in arithmetic-preferences set, over SEEDS
# training seeds with Student-t 95 % intervals. The main is services/training's FDpoClaims (test classes), which
# documents the setup. An accuracy study, not a timing: the load of the machine does not matter.
# Environment: SEEDS (default 3), STEPS (default 25), DIVERGENCES (default reverse_kl,kl,js,alpha),
# DATASETS (default pairs18,builtin).
source "$(dirname "$0")/../lib.sh"

run_claims services/training dev.divergence.training.claims.FDpoClaims claims-fdpo claims-fdpo \
  "${SEEDS:-3}" "${STEPS:-25}" "${DIVERGENCES:-reverse_kl,kl,js,alpha}" "${DATASETS:-pairs18,builtin}"
