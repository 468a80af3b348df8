package dev.divergence.inference.generation;

import dev.divergence.inference.decoding.LogitsStreamFactory;

/** Where a model's decoding streams come from (its Triton decoding entry, in the service). */
@FunctionalInterface
public interface DecodingBackend {

    LogitsStreamFactory streams(String model);
}
