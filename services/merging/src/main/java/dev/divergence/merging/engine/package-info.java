/**
 * Executes merge plans on real classifiers (libs/model, DJL): a compatible generalist / expert pair,
 * per-sample merging in one two-parameter-set pass, per-batch merging once, output mixing.
 */
package dev.divergence.merging.engine;
