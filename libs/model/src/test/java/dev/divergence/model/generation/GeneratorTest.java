package dev.divergence.model.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dev.divergence.model.InvalidModelException;
import dev.divergence.model.TestSupport;
import dev.divergence.model.lm.LlamaConfig;
import dev.divergence.model.lm.LlamaModel;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GeneratorTest {

    private static NDManager manager;
    private static LlamaModel model;
    private static Generator generator;
    private static final long[] PROMPT = {1, 2, 3};

    @BeforeAll
    static void start() {
        manager = TestSupport.newManager();
        model = LlamaModel.initialize(manager, LlamaConfig.llama(30, 16, 32, 1, 2, 1, 24), 3);
        generator = new Generator(model);
    }

    @AfterAll
    static void stop() {
        model.close();
        manager.close();
    }

    @Test
    void sameSeedSameTokensAndDifferentSeedsDiffer() {
        GenerationConfig c = GenerationConfig.sampling(15, 1.0, 0, 1.0, 42);
        long[] first = generator.generate(manager, PROMPT, c).tokens();
        assertThat(generator.generate(manager, PROMPT, c).tokens()).containsExactly(first);
        long[] other = generator.generate(manager, PROMPT, GenerationConfig.sampling(15, 1.0, 0, 1.0, 43)).tokens();
        assertThat(other).isNotEqualTo(first);
    }

    @Test
    void topKOneAndTinyTopPAreGreedy() {
        long[] greedy = generator.generate(manager, PROMPT, GenerationConfig.greedy(10)).tokens();
        assertThat(generator.generate(manager, PROMPT, GenerationConfig.sampling(10, 0.7, 1, 1.0, 5)).tokens()).containsExactly(greedy);
        assertThat(generator.generate(manager, PROMPT, GenerationConfig.sampling(10, 1.3, 0, 1e-6, 9)).tokens()).containsExactly(greedy);
    }

    @Test
    void stopsOnMaxTokensStopTokenStopSequenceAndContext() {
        GenerationResult max = generator.generate(manager, PROMPT, GenerationConfig.greedy(5));
        assertThat(max.tokens()).hasSize(5);
        assertThat(max.stopReason()).isEqualTo(StopReason.MAX_TOKENS);

        long third = max.tokens()[2];
        GenerationResult stopToken = generator.generate(manager, PROMPT, GenerationConfig.greedy(5).withStopTokens(Set.of(third)));
        assertThat(stopToken.stopReason()).isEqualTo(StopReason.STOP_TOKEN);
        assertThat(stopToken.tokens()[stopToken.tokens().length - 1]).isEqualTo(third);

        long[] seq = {max.tokens()[1], max.tokens()[2]};
        GenerationResult stopSeq = generator.generate(manager, PROMPT, GenerationConfig.greedy(5).withStopSequences(List.of(seq)));
        assertThat(stopSeq.stopReason()).isIn(StopReason.STOP_SEQUENCE, StopReason.STOP_TOKEN);
        assertThat(stopSeq.tokens().length).isLessThanOrEqualTo(3);

        GenerationResult full = generator.generate(manager, PROMPT, GenerationConfig.greedy(100));
        assertThat(full.stopReason()).isEqualTo(StopReason.CONTEXT_FULL);
        assertThat(PROMPT.length + full.tokens().length).isEqualTo(24 + 1);
    }

    @Test
    void logitsProcessorCanForbidTokensAndSeesHistory() {
        List<Integer> seenSteps = new java.util.ArrayList<>();
        LogitsProcessor onlyEven = (step, logits) -> {
            seenSteps.add(step.index());
            assertThat(step.generated()).hasSize(step.index());
            for (int v = 1; v < logits.length; v += 2) {
                logits[v] = Float.NEGATIVE_INFINITY;
            }
            return logits;
        };
        GenerationResult r = generator.generate(manager, PROMPT, GenerationConfig.sampling(8, 1.0, 0, 0.9, 1), onlyEven);
        assertThat(java.util.Arrays.stream(r.tokens())).allMatch(t -> t % 2 == 0);
        assertThat(seenSteps).containsExactly(0, 1, 2, 3, 4, 5, 6, 7);
        for (float lp : r.sampledLogProbs()) {
            assertThat(lp).isFinite().isLessThanOrEqualTo(0f);
        }
    }

    @Test
    void badSettingsAndTokensAreNamed() {
        assertThatThrownBy(() -> GenerationConfig.sampling(4, -1, 0, 1, 0)).isInstanceOf(InvalidModelException.class).hasMessageContaining("temperature");
        assertThatThrownBy(() -> GenerationConfig.sampling(4, 1, 0, 0, 0)).hasMessageContaining("top_p");
        assertThatThrownBy(() -> GenerationConfig.sampling(4, 1, -2, 1, 0)).hasMessageContaining("top_k");
        assertThatThrownBy(() -> generator.generate(manager, new long[] {1, 99}, GenerationConfig.greedy(2)))
                .isInstanceOf(InvalidModelException.class).hasMessageContaining("input_ids[1]").hasMessageContaining("99");
        assertThatThrownBy(() -> generator.generate(manager, new long[30], GenerationConfig.greedy(2)))
                .isInstanceOf(InvalidModelException.class).hasMessageContaining("max_position_embeddings");
    }
}
