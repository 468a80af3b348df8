#!/usr/bin/env bash
# bench/run.sh claims-t3 -> bench/results/claims-t3.json and bench/results/claims-t3.md
# Reproduces the direction of the T³ paper's claims on the product's shipped protocol (issue 12): every
# merge method of services/merging on every split of each generalist / expert pair (the test part of the
# registered dataset variants that training, evaluation and merging share), over SEEDS paired bootstrap
# resamples with Student-t intervals. The main is services/merging's T3Claims (test classes), which
# documents the claims and when each one counts as holding. An accuracy study, not a timing: the load of
# the machine does not matter. Environment: SEEDS (default 10), MERGING_DATA the models' folder (default
# bench/merging/target/data, shared with bench/run.sh merging; the built-in pairs are trained there on
# first use, a minute or two).
source "$(dirname "$0")/../lib.sh"

data="${MERGING_DATA:-bench/merging/target/data}"
mkdir -p "$data"
# from the repository's root, where MERGING_DATA's default is relative to
CLAIMS_RUN_IN="$root" run_claims services/merging dev.divergence.merging.claims.T3Claims claims-t3 claims-t3 \
  "$data" "${SEEDS:-10}"
