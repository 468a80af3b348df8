package dev.divergence.model.assets;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The text the tiny LM is trained on, generated from a seed: arithmetic with answers
 * ("23+9=32", "17-5=12"; what the RL-with-verifier demos check) and simple templated sentences.
 */
public final class SyntheticCorpus {

    private static final String[] NAMES = {"Ada", "Bob", "Cleo", "Dan", "Eve", "Finn"};
    private static final String[] ANIMALS = {"cat", "dog", "bird", "fox", "cow"};
    private static final String[] PLACES = {"mat", "roof", "tree", "box", "hill"};
    private static final String[] FOODS = {"apples", "bread", "soup", "rice", "pears"};

    private SyntheticCorpus() {
    }

    public static String arithmetic(SplittableRandom random) {
        int a = random.nextInt(50);
        int b = random.nextInt(50);
        if (random.nextBoolean()) {
            return a + "+" + b + "=" + (a + b);
        }
        int hi = Math.max(a, b);
        int lo = Math.min(a, b);
        return hi + "-" + lo + "=" + (hi - lo);
    }

    public static String sentence(SplittableRandom random) {
        return switch (random.nextInt(3)) {
            case 0 -> "the " + pick(ANIMALS, random) + " sat on the " + pick(PLACES, random) + ".";
            case 1 -> pick(NAMES, random) + " likes " + pick(FOODS, random) + ".";
            default -> pick(NAMES, random) + " saw a " + pick(ANIMALS, random) + " on the " + pick(PLACES, random) + ".";
        };
    }

    /** {@code n} lines, two thirds arithmetic, one third sentences. */
    public static List<String> lines(int n, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(random.nextInt(3) < 2 ? arithmetic(random) : sentence(random));
        }
        return out;
    }

    private static String pick(String[] options, SplittableRandom random) {
        return options[random.nextInt(options.length)];
    }
}
