/**
 * Provenance and membership scores on texts: {@link dev.divergence.math.provenance.DcPdd} (pretraining-data
 * detection by divergence-based calibration) and {@link dev.divergence.math.provenance.ZeroShotProvenance}
 * (log-perplexity minus predictive entropy with a concentration-bound threshold). Inputs are the per-token
 * log-probabilities (and entropies) a scoring endpoint returns; nothing here runs a model.
 */
package dev.divergence.math.provenance;
