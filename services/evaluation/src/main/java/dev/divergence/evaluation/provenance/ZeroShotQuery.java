package dev.divergence.evaluation.provenance;

import java.util.List;

/** A zero-shot provenance request as both APIs receive it; {@code delta} null takes {@link ProvenanceLimits#DEFAULT_DELTA}. */
public record ZeroShotQuery(String model, List<String> texts, Double delta) {}
