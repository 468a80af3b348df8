package dev.divergence.inference.generation;

import dev.divergence.inference.decoding.DecodingPlan;

/** A checked request: which model, the strategy's name, and the plan to decode. */
public record PreparedGeneration(String model, String strategy, DecodingPlan plan) {
}
