package dev.divergence.evaluation.datasets;

/** A preference record: a prompt with the chosen and the rejected completion. */
public record PreferenceRecord(long index, String split, String prompt, String chosen, String rejected) {}
