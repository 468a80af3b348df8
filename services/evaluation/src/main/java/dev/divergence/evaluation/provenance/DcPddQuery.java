package dev.divergence.evaluation.provenance;

import java.util.List;

/**
 * A DC-PDD request as both APIs receive it; absent fields are null. Exactly one reference is given:
 * {@code referenceTexts}, {@code referenceDataset}, or {@code tokenCounts} with {@code vocabularySize}.
 */
public record DcPddQuery(String model, List<String> texts, List<String> referenceTexts, String referenceDataset,
    long[] tokenCounts, Integer vocabularySize, Double a) {}
