package dev.divergence.training.registry;

import java.time.Instant;

/** A dataset: built in (generated or bundled) or uploaded as JSONL. */
public record RegisteredDataset(
    String name, DatasetKind kind, String uri, Long records, boolean builtIn, String description, Instant createdAt) {}
