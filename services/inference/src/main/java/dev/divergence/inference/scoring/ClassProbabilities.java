package dev.divergence.inference.scoring;

import java.util.List;

/** @param label the most probable class */
public record ClassProbabilities(List<Double> probabilities, String label) {}
