package dev.divergence.inference.decoding;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.model.assets.TinyAssets;
import dev.divergence.model.generation.GenerationConfig;
import dev.divergence.model.tokenizer.ByteTokenizer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * AdaCAD on prompts where the context contradicts what the model answers without it. The tiny LM
 * is trained on single lines of its corpus, so the only context it can use is the start of a
 * line: the context is the tens digit of a sum's first operand ("4"), the prompt the rest
 * ("1+9="), itself a sum the model answers on its own (10) with another leading digit than the
 * sum the context makes of it (41+9 = 50). A generation follows the context when its answer
 * starts with that sum's leading digit. The small budget of the other tests learns no arithmetic,
 * so this test trains the standard-budget model once into its own folder under target/ (3.5 min
 * on a shared two-core machine, the slowest part of the module's tests; later runs reuse it).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ContextConflictTest {

    /**
     * The platform's standard budget (1200 steps). On these 50 prompts greedy / AdaCAD followed
     * the context 1 / 1 times after 60 steps, 2 / 2 after 300 and 14 / 14 after 600: too little
     * arithmetic for the contrast to matter.
     */
    static final TinyAssets.Budget BUDGET = TinyAssets.Budget.standard();
    private static final int PROMPTS = 50;

    private TinyLm lm;

    @BeforeAll
    void load() {
        lm = TinyLm.load(Path.of("target/tiny-assets-standard"), BUDGET);
    }

    @AfterAll
    void close() {
        lm.close();
    }

    @Test
    void adaCadChangesAnswersOnConflictingPrompts() {
        List<String[]> conflicts = conflicts();
        int greedy = 0;
        int adaCad = 0;
        int changed = 0;
        for (String[] c : conflicts) {
            String expectedDigit = c[2].substring(0, 1);
            String plain = answer(new PlainDecoding("greedy"), c[0], c[1]);
            String contrasted = answer(ContextContrast.adaCad(0), c[0], c[1]);
            changed += plain.equals(contrasted) ? 0 : 1;
            greedy += plain.startsWith(expectedDigit) ? 1 : 0;
            adaCad += contrasted.startsWith(expectedDigit) ? 1 : 0;
            System.out.printf("context %s prompt %-6s implies %s: greedy %s, adacad %s%n", c[0], c[1], c[2], plain, contrasted);
        }
        System.out.printf("context followed on %d conflicting prompts: greedy %d, adacad %d%n", conflicts.size(), greedy, adaCad);

        assertThat(conflicts).hasSize(PROMPTS);
        // Which of the two follows the context more often is a property of the trained model, not of
        // AdaCAD: the model is trained here, and float32 training differs between CPU families (44 vs 42
        // for AdaCAD on an AVX-512 machine, 38 vs 41 under AVX2). The portable fact: the contrast acts,
        // changing answers on conflicting prompts; the comparison itself is measured in bench/ (decoding).
        assertThat(changed).as("answers AdaCAD changed relative to greedy").isPositive();
    }

    /** The first {@link #PROMPTS} sums (fixed seed) whose prompt alone gets an answer starting with another digit. */
    private List<String[]> conflicts() {
        List<String[]> out = new ArrayList<>();
        SplittableRandom random = new SplittableRandom(7);
        for (int tries = 0; out.size() < PROMPTS && tries < 500; tries++) {
            int first = 10 + random.nextInt(40);
            int second = random.nextInt(10);
            String context = Integer.toString(first / 10);
            String prompt = (first % 10) + "+" + second + "=";
            String implied = Integer.toString(first + second);
            if (!answer(new PlainDecoding("greedy"), "", prompt).startsWith(implied.substring(0, 1))) {
                out.add(new String[] {context, prompt, implied});
            }
        }
        return out;
    }

    private String answer(DecodingStrategy strategy, String context, String prompt) {
        PromptTokens tokens = new PromptTokens(lm.bos(), lm.tokenizer.encode(prompt), lm.tokenizer.encode(context), new long[0]);
        DecodingPlan plan = DecodingPlan.of(strategy, tokens, GenerationConfig.greedy(0),
                new StopRules(3, Set.of((long) ByteTokenizer.EOS), List.of(), 128), false, lm.tokenizer);
        return Decoder.decode(plan, lm.sessions(), TokenListener.NONE, new Cancellation()).text();
    }
}
