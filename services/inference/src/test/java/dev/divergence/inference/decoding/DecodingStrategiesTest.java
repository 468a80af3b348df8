package dev.divergence.inference.decoding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.divergence.model.generation.DecodingSession;
import dev.divergence.model.generation.GenerationConfig;
import dev.divergence.model.generation.GenerationResult;
import dev.divergence.model.generation.Generator;
import dev.divergence.model.tokenizer.ByteTokenizer;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** The strategies on libs/model's tiny LM, decoding through in-process sessions. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DecodingStrategiesTest {

    private static final Set<Long> EOS = Set.of((long) ByteTokenizer.EOS);
    /** context + prompt pairs from the tiny LM's corpus templates. */
    private static final List<String[]> CASES = List.of(
            new String[] {"Ada likes soup. ", "Ada likes "},
            new String[] {"the fox sat on the roof. ", "the fox sat on the "},
            new String[] {"12+7=25. ", "12+7="},
            new String[] {"Eve saw a cow on the hill. ", "Eve saw a "},
            new String[] {"31-4=20. ", "31-4="});

    private TinyLm lm;

    @BeforeAll
    void load() {
        lm = TinyLm.load();
    }

    @AfterAll
    void close() {
        lm.close();
    }

    @Test
    void greedyChoosesWhatLibsModelsGeneratorChooses() {
        for (String[] c : CASES) {
            long[] prompt = PromptTokens.concat(lm.bos(), lm.tokenizer.encode(c[1]));
            GenerationResult reference = new Generator(lm.model).generate(lm.manager, prompt, GenerationConfig.greedy(12));

            DecodingOutcome outcome = decode(new PlainDecoding("greedy"), "", c[1], 12, false);

            assertThat(outcome.tokenIds()).as(c[1]).containsExactly(reference.tokens());
        }
    }

    @Test
    void withAlphaZeroCadAndAdaCadAreGreedy() {
        for (String[] c : CASES) {
            long[] greedy = decode(new PlainDecoding("greedy"), c[0], c[1], 12, false).tokenIds();

            assertThat(decode(ContextContrast.cad(0), c[0], c[1], 12, false).tokenIds()).as("cad a=0: " + c[1]).containsExactly(greedy);
            DecodingOutcome forced = decode(new ContextContrast("adacad", (withContext, without) -> 0.0), c[0], c[1], 12, true);
            assertThat(forced.tokenIds()).as("adacad a_t=0: " + c[1]).containsExactly(greedy);
            assertThat(forced.tokens()).allSatisfy(t -> assertThat(t.diagnostics().alpha()).isZero());

            // floor 0 and nothing to contrast (no context): both streams agree, so a_t = JSD = 0
            DecodingOutcome noContext = decode(ContextContrast.adaCad(0), "", c[1], 12, true);
            assertThat(noContext.tokenIds()).as("adacad without context: " + c[1])
                    .containsExactly(decode(new PlainDecoding("greedy"), "", c[1], 12, false).tokenIds());
            // the two streams run the same prompt through the same session code, so their float64
            // distributions are identical, M = P exactly, and every KL term is p log 1 = 0
            assertThat(noContext.tokens()).allSatisfy(t -> assertThat(t.diagnostics().alpha()).isZero());
        }
    }

    /**
     * a_t against the Jensen-Shannon divergence computed here from the two sessions' raw logits, in
     * float64 and by another formula than the code's (the entropy form H(M) - (H(P) + H(Q)) / 2 with
     * M = (P + Q) / 2, where the code sums KL(P || M) and KL(Q || M) through libs/divergence).
     */
    @Test
    void adaCadAlphaIsTheJensenShannonDivergenceOfTheTwoStepDistributions() {
        double largest = 0;
        int steps = 0;
        for (String[] c : CASES) {
            DecodingOutcome outcome = decode(ContextContrast.adaCad(0), c[0], c[1], 8, true);
            try (DecodingSession withContext = new DecodingSession(lm.model, lm.manager);
                    DecodingSession without = new DecodingSession(lm.model, lm.manager)) {
                float[] p = withContext.prefill(PromptTokens.concat(lm.bos(), lm.tokenizer.encode(c[0]), lm.tokenizer.encode(c[1])));
                float[] q = without.prefill(PromptTokens.concat(lm.bos(), lm.tokenizer.encode(c[1])));
                for (GeneratedToken token : outcome.tokens()) {
                    double expected = jensenShannonByEntropies(p, q);
                    // Both sides are float64 from the same float32 logits (the same in-process session
                    // path as the decoder's). Each entropy is a sum of n = 259 terms with sum|terms| <=
                    // ln 259 < 6, so each side's round-off is at most ~ n * eps64 * 6 = 259 * 1.1e-16 * 6
                    // < 2e-13 per sum, a few sums per side: 1e-11 bounds the difference with room to spare.
                    assertThat(token.diagnostics().alpha()).as(c[1] + " step " + token.index()).isCloseTo(expected, within(1e-11));
                    assertThat(token.diagnostics().alpha()).isBetween(0.0, Math.log(2));
                    largest = Math.max(largest, expected);
                    steps++;
                    p = withContext.step(token.id());
                    q = without.step(token.id());
                }
            }
        }
        System.out.printf("adacad alpha_t checked on %d steps; largest %.4f%n", steps, largest);
        assertThat(largest).as("the contexts change some step's distribution").isGreaterThan(1e-3);
    }

    @Test
    void adaCadFloorRaisesSmallWeights() {
        DecodingOutcome plain = decode(ContextContrast.adaCad(0), CASES.get(0)[0], CASES.get(0)[1], 6, true);
        DecodingOutcome floored = decode(ContextContrast.adaCad(0.3), CASES.get(0)[0], CASES.get(0)[1], 6, true);

        assertThat(floored.tokens()).allSatisfy(t -> assertThat(t.diagnostics().alpha()).isGreaterThanOrEqualTo(0.3));
        // the first step sees the same prompts in both runs: the same float64 computation on the same logits
        assertThat(floored.tokens().get(0).diagnostics().alpha())
                .isEqualTo(Math.max(0.3, plain.tokens().get(0).diagnostics().alpha()));
    }

    @Test
    void uscdWhereEveryStepIsConfidentIsGreedyOnTheStandardPrompt() {
        for (String[] c : CASES) {
            PromptTokens tokens = new PromptTokens(lm.bos(), lm.tokenizer.encode(c[1]), new long[0], lm.tokenizer.encode("x"));
            DecodingOutcome uscd = Decoder.decode(plan(new SelectiveContrast(0, 0.5, 1.0, -0.7), tokens, 12, true), lm.sessions(),
                    TokenListener.NONE, new Cancellation());

            assertThat(uscd.tokens()).allSatisfy(t -> assertThat(t.diagnostics().confident()).isTrue());
            assertThat(uscd.tokenIds()).as(c[1]).containsExactly(decode(new PlainDecoding("greedy"), "", c[1], 12, false).tokenIds());
        }
    }

    @Test
    void samplingIsReproducibleWithItsSeed() {
        PromptTokens tokens = new PromptTokens(lm.bos(), lm.tokenizer.encode("Dan "), new long[0], new long[0]);
        long[] first = sample(tokens, 7);

        assertThat(sample(tokens, 7)).containsExactly(first);
        boolean anotherSeedDiffers = false;
        for (long seed = 8; seed < 12 && !anotherSeedDiffers; seed++) {
            anotherSeedDiffers = !java.util.Arrays.equals(sample(tokens, seed), first);
        }
        assertThat(anotherSeedDiffers).isTrue();
    }

    @Test
    void logProbsAndEntropyDescribeTheFinalDistribution() {
        DecodingOutcome outcome = decode(ContextContrast.cad(0.5), CASES.get(3)[0], CASES.get(3)[1], 6, true);
        try (DecodingSession withContext = new DecodingSession(lm.model, lm.manager);
                DecodingSession without = new DecodingSession(lm.model, lm.manager)) {
            float[] p = withContext.prefill(PromptTokens.concat(lm.bos(), lm.tokenizer.encode(CASES.get(3)[0]), lm.tokenizer.encode(CASES.get(3)[1])));
            float[] q = without.prefill(PromptTokens.concat(lm.bos(), lm.tokenizer.encode(CASES.get(3)[1])));
            for (GeneratedToken token : outcome.tokens()) {
                double[] combined = new double[p.length];
                for (int i = 0; i < p.length; i++) {
                    combined[i] = 1.5 * p[i] - 0.5 * q[i];
                }
                double[] finalDistribution = softmax(combined);
                // The decoder rounds each combined score to float32: |error| <= s_max * 2^-24 per score
                // (s_max the largest |score|). log softmax moves by at most twice the largest score
                // error, and the entropy by at most sum_j p_j |log p_j + H| <= 2 H <= 2 ln V times it.
                double scoreError = maxAbs(combined) * 0x1p-24;
                assertThat(token.logProb()).isCloseTo(Math.log(finalDistribution[(int) token.id()]), within(2 * scoreError));
                assertThat(token.diagnostics().entropy()).isCloseTo(entropy(finalDistribution),
                        within(2 * Math.log(p.length) * scoreError));
                p = withContext.step(token.id());
                q = without.step(token.id());
            }
        }
    }

    @Test
    void stopsAtStopTextsMaxTokensAndEos() {
        DecodingOutcome toStop = decode(new PlainDecoding("greedy"), "", "Ada likes ", 30, false, List.of("."));
        assertThat(toStop.text()).endsWith(".");
        assertThat(toStop.finishReason()).isEqualTo(FinishReason.STOP_SEQUENCE);

        DecodingOutcome limited = decode(new PlainDecoding("greedy"), "", "Ada likes ", 3, false, List.of());
        assertThat(limited.tokens()).hasSize(3);
        assertThat(limited.finishReason()).isEqualTo(FinishReason.MAX_TOKENS);

        DecodingOutcome toEnd = decode(new PlainDecoding("greedy"), "", "Ada likes ", 60, false, List.of());
        assertThat(toEnd.finishReason()).isEqualTo(FinishReason.EOS);
        assertThat(toEnd.tokens().getLast().id()).isEqualTo(ByteTokenizer.EOS);
        assertThat(toEnd.tokens().getLast().text()).isEmpty();
        assertThat(String.join("", toEnd.tokens().stream().map(GeneratedToken::text).toList())).isEqualTo(toEnd.text());
    }

    private long[] sample(PromptTokens tokens, long seed) {
        return Decoder.decode(DecodingPlan.of(new PlainDecoding("sample"), tokens, GenerationConfig.sampling(0, 1.5, 0, 1.0, seed),
                new StopRules(16, Set.of(), List.of(), 128), false, lm.tokenizer), lm.sessions(), TokenListener.NONE, new Cancellation()).tokenIds();
    }

    private DecodingOutcome decode(DecodingStrategy strategy, String context, String prompt, int maxTokens, boolean diagnostics) {
        return decode(strategy, context, prompt, maxTokens, diagnostics, List.of());
    }

    private DecodingOutcome decode(DecodingStrategy strategy, String context, String prompt, int maxTokens, boolean diagnostics,
            List<String> stop) {
        PromptTokens tokens = new PromptTokens(lm.bos(), lm.tokenizer.encode(prompt), lm.tokenizer.encode(context), new long[0]);
        return Decoder.decode(DecodingPlan.of(strategy, tokens, GenerationConfig.greedy(0), new StopRules(maxTokens, EOS, stop, 128),
                diagnostics, lm.tokenizer), lm.sessions(), TokenListener.NONE, new Cancellation());
    }

    private DecodingPlan plan(DecodingStrategy strategy, PromptTokens tokens, int maxTokens, boolean diagnostics) {
        return DecodingPlan.of(strategy, tokens, GenerationConfig.greedy(0), new StopRules(maxTokens, EOS, List.of(), 128), diagnostics,
                lm.tokenizer);
    }

    private static double maxAbs(double[] values) {
        double max = 0;
        for (double v : values) {
            max = Math.max(max, Math.abs(v));
        }
        return max;
    }

    private static double entropy(double[] p) {
        double h = 0;
        for (double v : p) {
            h -= v > 0 ? v * Math.log(v) : 0;
        }
        return h;
    }

    /** JSD(P || Q) = H((P + Q) / 2) - (H(P) + H(Q)) / 2 in natural log, P and Q the float64 softmaxes of the logits. */
    private static double jensenShannonByEntropies(float[] logitsP, float[] logitsQ) {
        double[] p = softmax(logitsP);
        double[] q = softmax(logitsQ);
        double hp = 0;
        double hq = 0;
        double hm = 0;
        for (int i = 0; i < p.length; i++) {
            double m = 0.5 * (p[i] + q[i]);
            hp -= p[i] > 0 ? p[i] * Math.log(p[i]) : 0;
            hq -= q[i] > 0 ? q[i] * Math.log(q[i]) : 0;
            hm -= m > 0 ? m * Math.log(m) : 0;
        }
        return hm - 0.5 * (hp + hq);
    }

    private static double[] softmax(float[] logits) {
        double[] d = new double[logits.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = logits[i];
        }
        return softmax(d);
    }

    private static double[] softmax(double[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : logits) {
            max = Math.max(max, v);
        }
        double[] p = new double[logits.length];
        double total = 0;
        for (int i = 0; i < p.length; i++) {
            p[i] = Math.exp(logits[i] - max);
            total += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= total;
        }
        return p;
    }
}
