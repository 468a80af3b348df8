package dev.divergence.merging.store;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** A stored merge of one tenant: two models, a method and every parameter it uses. */
public record MergeRecord(UUID mergeId, String tenant, String generalist, String expert, String method, Map<String, Object> parameters,
    Instant createdAt) {}
