package dev.divergence.inference.decoding;

import dev.divergence.model.generation.GenerationConfig;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ContextConflictProbe {

    @Test
    void probe() {
        try (TinyLm lm = TinyLm.load()) {
            String[] names = {"Ada", "Bob", "Cleo", "Dan", "Eve", "Finn"};
            String[] foods = {"apples", "bread", "soup", "rice", "pears"};
            int greedyFollows = 0, adaFollows = 0, cadFollows = 0, total = 0;
            for (String name : names) {
                String prompt = name + " likes ";
                String prior = run(lm, new PlainDecoding("greedy"), "", prompt);
                for (String food : foods) {
                    if (prior.startsWith(food)) continue;
                    String context = name + " likes " + food + ". ";
                    String g = run(lm, new PlainDecoding("greedy"), context, prompt);
                    String a = run(lm, ContextContrast.adaCad(0), context, prompt);
                    String c = run(lm, ContextContrast.cad(1.0), context, prompt);
                    total++;
                    if (g.startsWith(food)) greedyFollows++;
                    if (a.startsWith(food)) adaFollows++;
                    if (c.startsWith(food)) cadFollows++;
                    System.out.printf("%s | prior=%s | ctx=%s | greedy=%s | adacad=%s | cad1=%s%n", prompt, prior, food, g, a, c);
                }
            }
            System.out.printf("total %d greedy %d adacad %d cad %d%n", total, greedyFollows, adaFollows, cadFollows);
            int ga = 0, aa = 0, tt = 0;
            java.util.SplittableRandom r = new java.util.SplittableRandom(7);
            for (int i = 0; i < 20; i++) {
                int x = r.nextInt(50), y = r.nextInt(50);
                String prompt = x + "+" + y + "=";
                String prior = run(lm, new PlainDecoding("greedy"), "", prompt);
                String stated = Integer.toString(x + y + 10 + r.nextInt(20));
                String context = x + "+" + y + "=" + stated + " ";
                String g = run(lm, new PlainDecoding("greedy"), context, prompt);
                String a = run(lm, ContextContrast.adaCad(0), context, prompt);
                tt++;
                if (g.startsWith(stated)) ga++;
                if (a.startsWith(stated)) aa++;
                System.out.printf("%s prior=%s stated=%s greedy=%s adacad=%s%n", prompt, prior, stated, g, a);
            }
            System.out.printf("arith total %d greedy %d adacad %d%n", tt, ga, aa);
        }
    }

    static String run(TinyLm lm, DecodingStrategy strategy, String context, String prompt) {
        PromptTokens tokens = new PromptTokens(lm.bos(), lm.tokenizer.encode(prompt), lm.tokenizer.encode(context), null);
        DecodingPlan plan = DecodingPlan.of(strategy, tokens, GenerationConfig.greedy(12),
                new StopRules(12, Set.of(258L), List.of("."), 128), false, lm.tokenizer);
        return Decoder.decode(plan, lm.sessions(), TokenListener.NONE, new Cancellation()).text();
    }
}
