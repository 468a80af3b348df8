package dev.divergence.evaluation.run.inputs;

import dev.divergence.evaluation.run.RunSpec.PromptItem;
import dev.divergence.evaluation.run.Suite;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.BiFunction;

/**
 * Prompt sets generated from a seed, in the language of the built-in tiny LM's corpus (arithmetic
 * "a+b=c", "a-b=c" and templated sentences), so every suite can run without uploading anything.
 */
public final class BuiltInPromptSets {

  public static final int DEFAULT_SIZE = 64;

  /** A named generator and which suites its items can serve. */
  public record PromptSet(String name, String description, List<Suite> suites, BiFunction<Integer, Long, List<PromptItem>> generator) {

    public boolean supports(String suite) {
      return suites.stream().anyMatch(s -> s.apiName().equals(suite));
    }

    public String missingFor(String suite) {
      return suite.equals(Suite.DECODING.apiName()) ? "contexts" : suite.equals(Suite.CLASSIFIER.apiName())
          ? "features" : "verifiable answers";
    }

    public List<PromptItem> generate(int size, long seed) {
      return generator.apply(size, seed);
    }
  }

  private static final List<PromptSet> SETS = List.of(
      new PromptSet("arithmetic", "a+b= and a-b= with operands below 50; answer: the result",
          List.of(Suite.MODEL_DIVERGENCE, Suite.REWARDS, Suite.DIVERSITY), BuiltInPromptSets::arithmetic),
      new PromptSet("arithmetic-conflict", "a+b= preceded by a context stating a wrong result; answer: the"
          + " context's result, priorAnswer: the true one (a knowledge-conflict set for decoding comparisons)",
          List.of(Suite.MODEL_DIVERGENCE, Suite.DIVERSITY, Suite.DECODING), BuiltInPromptSets::conflict),
      new PromptSet("sentences", "the first words of templated sentences; answer: the rest",
          List.of(Suite.MODEL_DIVERGENCE, Suite.DIVERSITY), BuiltInPromptSets::sentences));

  private static final String[] NAMES = {"Ada", "Bob", "Cleo", "Dan", "Eve", "Finn"};
  private static final String[] ANIMALS = {"cat", "dog", "bird", "fox", "cow"};
  private static final String[] PLACES = {"mat", "roof", "tree", "box", "hill"};
  private static final String[] FOODS = {"apples", "bread", "soup", "rice", "pears"};

  private BuiltInPromptSets() {
  }

  public static Optional<PromptSet> find(String name) {
    return SETS.stream().filter(s -> s.name().equals(name)).findFirst();
  }

  public static List<String> names() {
    return SETS.stream().map(PromptSet::name).toList();
  }

  public static List<PromptSet> all() {
    return SETS;
  }

  static List<PromptItem> arithmetic(int size, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<PromptItem> items = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      int a = random.nextInt(50);
      int b = random.nextInt(50);
      if (random.nextBoolean()) {
        items.add(new PromptItem(a + "+" + b + "=", Integer.toString(a + b), null, null));
      } else {
        items.add(new PromptItem(Math.max(a, b) + "-" + Math.min(a, b) + "=", Integer.toString(Math.abs(a - b)), null, null));
      }
    }
    return items;
  }

  static List<PromptItem> conflict(int size, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<PromptItem> items = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      int a = random.nextInt(50);
      int b = random.nextInt(50);
      int truth = a + b;
      // a wrong result that differs from the truth in its first digit, so a continuation shows which one it follows
      int wrong;
      do {
        wrong = random.nextInt(100);
      } while (Integer.toString(wrong).charAt(0) == Integer.toString(truth).charAt(0));
      String prompt = a + "+" + b + "=";
      items.add(new PromptItem(prompt, Integer.toString(wrong), prompt + wrong + " ", Integer.toString(truth)));
    }
    return items;
  }

  static List<PromptItem> sentences(int size, long seed) {
    SplittableRandom random = new SplittableRandom(seed);
    List<PromptItem> items = new ArrayList<>(size);
    for (int i = 0; i < size; i++) {
      switch (random.nextInt(3)) {
        case 0 -> items.add(new PromptItem("the " + pick(ANIMALS, random) + " sat on the",
            " " + pick(PLACES, random) + ".", null, null));
        case 1 -> items.add(new PromptItem(pick(NAMES, random) + " likes", " " + pick(FOODS, random) + ".", null, null));
        default -> items.add(new PromptItem(pick(NAMES, random) + " saw a " + pick(ANIMALS, random),
            " on the " + pick(PLACES, random) + ".", null, null));
      }
    }
    return items;
  }

  private static String pick(String[] options, SplittableRandom random) {
    return options[random.nextInt(options.length)];
  }

  static List<String> describe() {
    return Arrays.stream(SETS.toArray(PromptSet[]::new)).map(s -> s.name() + ": " + s.description()).toList();
  }
}
