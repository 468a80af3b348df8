package dev.divergence.merging.domain;

/** The interval a method's lambda can actually reach with the parameters used (closed). */
public record LambdaRange(double min, double max) {}
