package dev.divergence.model.generation;

import dev.divergence.model.InvalidModelException;
import java.util.List;
import java.util.Set;

/**
 * How to pick tokens. temperature 0 means greedy (argmax); otherwise logits are divided by the
 * temperature, cut to the {@code topK} best (0 = no cut) and to the smallest set whose
 * probability reaches {@code topP} (1 = no cut), then sampled with a generator seeded by
 * {@code seed}, so the same request gives the same text.
 *
 * @param stopTokenIds tokens that end generation (in addition to the model's eos tokens); the stop token is kept
 * @param stopSequences token sequences that end generation once generated; they are kept in the output
 */
public record GenerationConfig(int maxNewTokens, double temperature, int topK, double topP, long seed,
        Set<Long> stopTokenIds, List<long[]> stopSequences) {

    public GenerationConfig {
        if (maxNewTokens < 0) {
            throw new InvalidModelException("max_new_tokens", "must be >= 0, got " + maxNewTokens);
        }
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new InvalidModelException("temperature", "must be a finite number >= 0, got " + temperature);
        }
        if (topK < 0) {
            throw new InvalidModelException("top_k", "must be >= 0 (0 disables it), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new InvalidModelException("top_p", "must be in (0, 1], got " + topP);
        }
        stopTokenIds = stopTokenIds == null ? Set.of() : Set.copyOf(stopTokenIds);
        stopSequences = stopSequences == null ? List.of() : List.copyOf(stopSequences);
        for (int i = 0; i < stopSequences.size(); i++) {
            if (stopSequences.get(i).length == 0) {
                throw new InvalidModelException("stop_sequences[" + i + "]", "must not be empty");
            }
        }
    }

    public static GenerationConfig greedy(int maxNewTokens) {
        return new GenerationConfig(maxNewTokens, 0, 0, 1, 0, Set.of(), List.of());
    }

    public static GenerationConfig sampling(int maxNewTokens, double temperature, int topK, double topP, long seed) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, seed, Set.of(), List.of());
    }

    public GenerationConfig withStopTokens(Set<Long> ids) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, seed, ids, stopSequences);
    }

    public GenerationConfig withStopSequences(List<long[]> sequences) {
        return new GenerationConfig(maxNewTokens, temperature, topK, topP, seed, stopTokenIds, sequences);
    }

    public boolean isGreedy() {
        return temperature == 0;
    }
}
