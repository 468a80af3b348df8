/**
 * Merge methods for a generalist / expert pair of one architecture, as named strategies with typed,
 * validated parameters and stated defaults. Pure Java (no Spring, no tensors): a method turns the two
 * models' logits for a batch into a {@link dev.divergence.merging.domain.MergePlan} (per sample the
 * generalist's weight in parameter or output space, the JS divergence and the method's own
 * coefficient); {@code dev.divergence.merging.engine} executes plans on real models.
 */
package dev.divergence.merging.domain;
