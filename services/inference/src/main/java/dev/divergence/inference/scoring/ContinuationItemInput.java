package dev.divergence.inference.scoring;

/** One (prompt, continuation) pair to score. */
public record ContinuationItemInput(String prompt, String continuation) {}
