package dev.divergence.training.job;

import java.util.List;

/**
 * RL with verifiable rewards (GRPO with PPO's clip, ALGORITHMS.md "RL with verifiable rewards +
 * f-divergence rehearsal (DPH-RL)"): the policy (the job's {@code model}, initialised from it)
 * answers each prompt {@code groupSize} times, a checker scores each answer 0 or 1, advantages are
 * normalised within each prompt's group, and {@code updatesPerBatch} optimiser steps of the clipped
 * surrogate follow each batch of rollouts. The job's model, frozen, is the reference of the
 * regulariser.
 *
 * @param groupSize G answers per prompt, at least 2 (default {@value #DEFAULT_GROUP_SIZE})
 * @param promptsPerStep prompts per rollout batch (default {@value #DEFAULT_PROMPTS_PER_STEP})
 * @param maxNewTokens longest answer in tokens (default {@value #DEFAULT_MAX_NEW_TOKENS})
 * @param temperature sampling temperature of the rollouts (default 1)
 * @param clipEpsilonLow PPO clip below, rho &gt;= 1 - eps (default {@value #DEFAULT_CLIP_LOW})
 * @param clipEpsilonHigh PPO clip above, rho &lt;= 1 + eps (default {@value #DEFAULT_CLIP_HIGH}, DAPO's
 *     clip-higher: a wider upper clip lets unlikely right answers grow, against entropy collapse)
 * @param updatesPerBatch optimiser steps on each batch of rollouts (default 1: on-policy); one
 *     optimiser step is one step of the budget
 * @param task {@code arithmetic} (default: built-in prompts "a+b=" with a, b in [0, 50), the
 *     checker reads the first integer of the answer), {@code tiny-addition} (built-in "a+b=" with
 *     a, b in {0, 1, 2}, checked likewise) or {@code dataset} (the job's dataset: of a
 *     text record the {@code prompt} is the prompt and the {@code completion} the answer; of a
 *     verifiable record the {@code promptField} and the {@code answerField})
 * @param checker for {@code dataset}: {@code exact} (default: the answer's text, trimmed, equals
 *     the completion, trimmed) or {@code integer} (the first integer of the answer equals the
 *     completion's); {@code arithmetic} always checks integers
 * @param promptField verifiable datasets only: the records' prompt field (default {@value #DEFAULT_PROMPT_FIELD})
 * @param answerField verifiable datasets only: the records' answer field (default {@value #DEFAULT_ANSWER_FIELD})
 * @param regulariser none (default), kl or rehearsal
 * @param evaluation pass@k on held-out prompts
 */
public record RlvrSpec(
    Integer groupSize,
    Integer promptsPerStep,
    Integer maxNewTokens,
    Double temperature,
    Double clipEpsilonLow,
    Double clipEpsilonHigh,
    Integer updatesPerBatch,
    String task,
    String checker,
    String promptField,
    String answerField,
    Regulariser regulariser,
    Evaluation evaluation) implements MethodSpec {

  public static final String DEFAULT_PROMPT_FIELD = "prompt";
  public static final String DEFAULT_ANSWER_FIELD = "answer";

  /** A spec without field names (the task's defaults). */
  public RlvrSpec(Integer groupSize, Integer promptsPerStep, Integer maxNewTokens, Double temperature, Double clipEpsilonLow,
      Double clipEpsilonHigh, Integer updatesPerBatch, String task, String checker, Regulariser regulariser,
      Evaluation evaluation) {
    this(groupSize, promptsPerStep, maxNewTokens, temperature, clipEpsilonLow, clipEpsilonHigh, updatesPerBatch, task,
        checker, null, null, regulariser, evaluation);
  }

  public static final int DEFAULT_GROUP_SIZE = 8;
  public static final int DEFAULT_PROMPTS_PER_STEP = 4;
  public static final int DEFAULT_MAX_NEW_TOKENS = 8;
  public static final double DEFAULT_CLIP_LOW = 0.2;
  public static final double DEFAULT_CLIP_HIGH = 0.28;
  public static final String TASK_ARITHMETIC = "arithmetic";
  /**
   * Built-in "a+b=" with a, b in {0, 1, 2} (9 prompts, one-digit answers 0..4): a task the tiny LM
   * can learn, where it does not learn the arithmetic task (docs/rlvr.md).
   */
  public static final String TASK_TINY_ADDITION = "tiny-addition";
  public static final String TASK_DATASET = "dataset";
  public static final List<String> TASKS = List.of(TASK_ARITHMETIC, TASK_TINY_ADDITION, TASK_DATASET);
  public static final String CHECKER_EXACT = "exact";
  public static final String CHECKER_INTEGER = "integer";
  public static final List<String> CHECKERS = List.of(CHECKER_EXACT, CHECKER_INTEGER);

  /**
   * The regulariser, by {@code kind}:
   * <ul>
   *   <li>{@code none} (default);</li>
   *   <li>{@code kl}: coefficient * KL(pi || pi_ref) in the loss on the rollouts' tokens, with
   *       {@code estimator} k1, k2 or k3 (default k3, GRPO's), coefficient default {@value #DEFAULT_KL_COEFFICIENT};</li>
   *   <li>{@code rehearsal} (DPH-RL): before training the reference answers each training prompt
   *       {@code referenceSamples} times; prompts it solves every time form the rehearsal set (one
   *       correct answer each, with its reference token log-probs, stored once), the others are
   *       explored with GRPO; each step adds coefficient * E[f(pi / pi_ref)] over a batch of the
   *       rehearsal set with {@code divergence} forward_kl (default), js or alpha ({@code alpha},
   *       default {@value #DEFAULT_ALPHA}); coefficient default {@value #DEFAULT_REHEARSAL_COEFFICIENT}.</li>
   * </ul>
   */
  public record Regulariser(String kind, String estimator, Double coefficient, String divergence, Double alpha,
      Integer referenceSamples) {

    public static final List<String> KINDS = List.of("none", "kl", "rehearsal");
    public static final List<String> ESTIMATORS = List.of("k1", "k2", "k3");
    public static final List<String> DIVERGENCES = List.of("forward_kl", "js", "alpha");

    public static Regulariser none() {
      return new Regulariser("none", null, null, null, null, null);
    }

    public static Regulariser kl(String estimator, double coefficient) {
      return new Regulariser("kl", estimator, coefficient, null, null, null);
    }

    public static Regulariser rehearsal(String divergence, double coefficient, int referenceSamples) {
      return new Regulariser("rehearsal", null, coefficient, divergence, null, referenceSamples);
    }

    Regulariser withDefaults() {
      String k = kind == null ? "none" : kind;
      return switch (k) {
        case "kl" -> new Regulariser(k, estimator == null ? "k3" : estimator,
            coefficient == null ? DEFAULT_KL_COEFFICIENT : coefficient, null, null, null);
        case "rehearsal" -> {
          String d = divergence == null ? "forward_kl" : divergence;
          yield new Regulariser(k, null, coefficient == null ? DEFAULT_REHEARSAL_COEFFICIENT : coefficient, d,
              "alpha".equals(d) ? (alpha == null ? DEFAULT_ALPHA : alpha) : null,
              referenceSamples == null ? DEFAULT_REFERENCE_SAMPLES : referenceSamples);
        }
        default -> new Regulariser(k, null, null, null, null, null);
      };
    }
  }

  public static final double DEFAULT_KL_COEFFICIENT = 0.04;
  public static final double DEFAULT_REHEARSAL_COEFFICIENT = 0.05;
  public static final double DEFAULT_ALPHA = 0.2;
  public static final int DEFAULT_REFERENCE_SAMPLES = 8;

  /**
   * pass@1 and pass@k on held-out prompts (arithmetic: {@code prompts} pairs never trained on;
   * dataset: the first {@code prompts} records of the dataset's held-out part), each answered
   * {@code samples} times, every {@code every} steps and at the last step.
   *
   * @param prompts held-out prompts (default 16)
   * @param samples answers per held-out prompt, n of the unbiased estimator (default 8)
   * @param k the k of pass@k, at most {@code samples} (default {@code samples})
   * @param every steps between evaluations (default 10)
   */
  public record Evaluation(Integer prompts, Integer samples, Integer k, Integer every) {

    Evaluation withDefaults() {
      int n = samples == null ? 8 : samples;
      return new Evaluation(prompts == null ? 16 : prompts, n, k == null ? n : k, every == null ? 10 : every);
    }
  }

  @Override
  public Algorithm algorithm() {
    return Algorithm.RLVR;
  }

  /** The prompt field read from verifiable records. */
  public String promptFieldOrDefault() {
    return promptField == null ? DEFAULT_PROMPT_FIELD : promptField;
  }

  /** The answer field read from verifiable records. */
  public String answerFieldOrDefault() {
    return answerField == null ? DEFAULT_ANSWER_FIELD : answerField;
  }

  /** A spec of defaults only (an absent {@code rlvr} block). */
  public static RlvrSpec defaults() {
    return new RlvrSpec(null, null, null, null, null, null, null, null, null, null, null, null, null);
  }

  public RlvrSpec withDefaults() {
    return new RlvrSpec(groupSize == null ? DEFAULT_GROUP_SIZE : groupSize,
        promptsPerStep == null ? DEFAULT_PROMPTS_PER_STEP : promptsPerStep,
        maxNewTokens == null ? DEFAULT_MAX_NEW_TOKENS : maxNewTokens,
        temperature == null ? 1.0 : temperature,
        clipEpsilonLow == null ? DEFAULT_CLIP_LOW : clipEpsilonLow,
        clipEpsilonHigh == null ? DEFAULT_CLIP_HIGH : clipEpsilonHigh,
        updatesPerBatch == null ? 1 : updatesPerBatch,
        task == null ? TASK_ARITHMETIC : task,
        checker == null ? (TASK_DATASET.equals(task) ? CHECKER_EXACT : CHECKER_INTEGER) : checker,
        promptField, answerField,
        (regulariser == null ? Regulariser.none() : regulariser).withDefaults(),
        (evaluation == null ? new Evaluation(null, null, null, null) : evaluation).withDefaults());
  }
}
