package dev.divergence.inference.scoring;

import java.util.List;

/** Results of one scoring call, with the model version that computed them. */
public record Scores<T>(String model, String version, List<String> classNames, List<T> results) {}
