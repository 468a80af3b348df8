#!/usr/bin/env bash
# bench/run.sh claims-distillation -> bench/results/claims-distillation.json and bench/results/claims-distillation.md
# The distillation claim on the product's own mini-benchmark (issue 13): students distilled with each divergence
# the distillation job accepts (kl, reverse_kl, js, jsd, akl, sinkhorn, pld) on the built-in breast-cancer
# teacher/student pair, compared with the forward-KL student on the test split: accuracy and ECE (top label,
# 15 bins), plus the held-out KL(teacher || student); SEEDS training seeds, Student-t 95 % intervals and
# differences to kl paired per seed. The main is services/training's DistillationClaims (test classes), which
# documents the setup. An accuracy study, not a timing: the load of the machine does not matter.
# Environment: SEEDS (default 5), STEPS (default 300), DIVERGENCES (default kl,reverse_kl,js,jsd,akl,sinkhorn,pld;
# kl first), TASKS (default breast-cancer,digits; digits = generalist teacher -> expert student, the only digits pair), RATE (default 3e-3,
# constant), OUTPUT (default claims-distillation: the files' name under bench/results).
# TASKS=tiny-lm: the built-in tiny LM (teacher) and tiny-lm-student on the built-in arithmetic text, token-level;
# pld is for classifiers only, so its tiny-lm row says "not run" (see DistillationClaims). The tiny-LM figures in
# bench/RESULTS.md (first table) come from: SEEDS=3 STEPS=40 RATE=1e-2 TASKS=tiny-lm OUTPUT=claims-distillation-tiny-lm
# bench/run.sh claims-distillation; the 120- and 300-step runs there name their own commands
source "$(dirname "$0")/../lib.sh"

output="${OUTPUT:-claims-distillation}"
run_claims services/training dev.divergence.training.claims.DistillationClaims claims-distillation "$output" \
  "${SEEDS:-5}" "${STEPS:-300}" "${DIVERGENCES:-kl,reverse_kl,js,jsd,akl,sinkhorn,pld}" "${TASKS:-breast-cancer,digits}" \
  "${RATE:-3e-3}"
