package dev.divergence.evaluation.analysis;

import java.util.List;

/**
 * What a frontier plots: either {@code runIds} (named {@code runIdsField} in errors: {@code runId}
 * for the GET parameter, {@code runIds} for a body or gRPC) or {@code algorithm}; and the metric of
 * each axis, null for its default.
 */
public record FrontierQuery(List<String> runIds, String runIdsField, String algorithm, String reward,
    String divergence, String divergenceSource, String diversity) {}
