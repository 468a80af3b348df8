package dev.divergence.training.job;

import java.util.List;

/**
 * f-DPG (Go et al. 2023; GDC, Khalifa et al. 2021): trains the policy (the job's {@code model},
 * initialised from it) to approach an explicit target distribution p = P / Z built from the job's
 * model as the base a, by minimising D_f(pi || p) with the pseudo-reward -f'(pi / p) (formulas:
 * ALGORITHMS.md, "f-DPG / GDC"). Exactly one target:
 * <ul>
 *   <li>{@code constraint}: a pointwise constraint b(x) in {0, 1}, P(x) = a(x) b(x);</li>
 *   <li>{@code moments}: distributional constraints E_p[phi(x)] = mu,
 *       P(x) = a(x) exp(lambda . phi(x)), lambda fitted by moment matching on base samples when the
 *       job starts (and kept in its checkpoints).</li>
 *   <li>{@code rlhf}: the RLHF preset, P(x) = a(x) exp(r(x) / beta) with a reward r given as a
 *       feature (0 or 1), the target of KL-regularised RLHF; its divergence defaults to reverse_kl,
 *       with which f-DPG is RLHF with a KL penalty of weight beta (ALGORITHMS.md).</li>
 * </ul>
 *
 * <p>{@code prompts} chooses what samples continue: {@code none} (default) draws them unconditionally
 * from the model's BOS token alone (the job's text {@code dataset} is not read; Z is one number, a
 * moving average); {@code dataset} conditions each micro-batch on one prompt of the dataset's
 * training part (a record's prompt, or for a whole-text record its generation prefix, the text up to
 * its first '=' or ' ', as on-policy distillation uses): the target is then p(x | c) =
 * a(x | c) b(c, x) / Z(c) with Z(c) estimated from that micro-batch's samples. Moments need
 * {@code none} (lambda is fitted on unconditional samples).
 *
 * <p>The divergence's {@code alpha} is the platform's Amari alpha (as everywhere, 0 → kl, 1 →
 * reverse_kl, with the target as the registry's p and the policy as its q, the orientation in which
 * f-DPG's kl = KL(p || pi) and reverse_kl = KL(pi || p) are the registry's kl and reverse_kl).
 * {@link #generatorAlpha()} is the same divergence's alpha in the form the pseudo-reward is written
 * in (D_f(pi || p) = E_p[f(pi / p)] with the Amari generator): 1 - the spec's alpha.
 *
 * @param divergence kl, reverse_kl, js (default: both seed papers report it as the best balance of
 *     alignment and diversity; reverse_kl for the RLHF preset), tv, alpha
 * @param samplesPerStep samples drawn from the proposal per optimiser step (per micro-batch); default
 *     the budget's batch size
 * @param maxNewTokens longest sample in tokens (default {@value #DEFAULT_MAX_NEW_TOKENS})
 * @param temperature sampling temperature of the proposal (default 1); importance weights use the
 *     density actually sampled from, so the gradient stays an estimate of the same divergence's
 * @param baselineWindow samples in the moving averages of the baseline and of Z (default {@value #DEFAULT_WINDOW})
 * @param proposal {@code on_policy} (default: q = pi) or {@code offline}: a frozen copy of the base,
 *     replaced by the current policy when the policy's estimated TV to the target drops below the
 *     proposal's (GDC's rule)
 */
public record FDpgSpec(
    DivergenceChoice divergence,
    Feature constraint,
    Moments moments,
    Integer samplesPerStep,
    Integer maxNewTokens,
    Double temperature,
    Integer baselineWindow,
    String proposal,
    String prompts,
    Rlhf rlhf) implements MethodSpec {

  public static final String DEFAULT_DIVERGENCE = "js";
  public static final int DEFAULT_MAX_NEW_TOKENS = 32;
  public static final int DEFAULT_WINDOW = 1024;
  public static final String ON_POLICY = "on_policy";
  public static final String OFFLINE = "offline";
  public static final String PROMPTS_NONE = "none";
  public static final String PROMPTS_DATASET = "dataset";
  /** The alpha-divergence's Amari alpha when none is given (symmetric: the same in both conventions). */
  public static final double DEFAULT_ALPHA = 0.5;

  /**
   * A binary feature of a sample, by {@code name}: {@code contains} ({@code text} occurs in the
   * generated text), {@code max_tokens} (at most {@code maxTokens} tokens, end-of-sequence not
   * counted), {@code regex} ({@code regex}, a Java regular expression, matches somewhere in the
   * generated text: anchor it with ^ and $ to match the whole), {@code answer_correct} (the prompt
   * followed by the generated text is an arithmetic line "a+b=c" or "a-b=c" of non-negative integers
   * with the right c).
   */
  public record Feature(String name, String text, Integer maxTokens, String regex) {

    public static final List<String> NAMES = List.of("contains", "max_tokens", "regex", "answer_correct");

    public static Feature contains(String text) {
      return new Feature("contains", text, null, null);
    }

    public static Feature maxTokens(int n) {
      return new Feature("max_tokens", null, n, null);
    }

    public static Feature regex(String pattern) {
      return new Feature("regex", null, null, pattern);
    }

    public static Feature answerCorrect() {
      return new Feature("answer_correct", null, null, null);
    }
  }

  /**
   * Distributional constraints: the target's mean of each binary feature, {@code means[i]} for
   * {@code features[i]}, strictly between 0 and 1.
   */
  public record Moments(List<Feature> features, List<Double> means) {}

  /** An unconditional spec ({@code prompts} unset) with a constraint or moments. */
  public FDpgSpec(DivergenceChoice divergence, Feature constraint, Moments moments, Integer samplesPerStep,
      Integer maxNewTokens, Double temperature, Integer baselineWindow, String proposal) {
    this(divergence, constraint, moments, samplesPerStep, maxNewTokens, temperature, baselineWindow, proposal, null, null);
  }

  /** A spec with a constraint or moments. */
  public FDpgSpec(DivergenceChoice divergence, Feature constraint, Moments moments, Integer samplesPerStep,
      Integer maxNewTokens, Double temperature, Integer baselineWindow, String proposal, String prompts) {
    this(divergence, constraint, moments, samplesPerStep, maxNewTokens, temperature, baselineWindow, proposal, prompts, null);
  }

  /**
   * The RLHF preset's target a(x) exp(r(x) / beta).
   *
   * @param reward r as a binary feature
   * @param beta the KL penalty's weight, positive (default {@value FDpgSpec#DEFAULT_RLHF_BETA})
   */
  public record Rlhf(Feature reward, Double beta) {}

  public static final double DEFAULT_RLHF_BETA = 0.1;

  @Override
  public Algorithm algorithm() {
    return Algorithm.F_DPG;
  }

  public boolean conditional() {
    return PROMPTS_DATASET.equals(prompts);
  }

  /** The same spec with defaults filled in; {@code batchSize} is the budget's (defaults applied). */
  public FDpgSpec withDefaults(int batchSize) {
    DivergenceChoice chosen = divergence != null ? divergence
        : DivergenceChoice.of(rlhf != null ? "reverse_kl" : DEFAULT_DIVERGENCE);
    return new FDpgSpec(chosen, constraint, moments,
        samplesPerStep == null ? batchSize : samplesPerStep,
        maxNewTokens == null ? DEFAULT_MAX_NEW_TOKENS : maxNewTokens,
        temperature == null ? 1.0 : temperature,
        baselineWindow == null ? DEFAULT_WINDOW : baselineWindow,
        proposal == null ? ON_POLICY : proposal,
        prompts == null ? PROMPTS_NONE : prompts,
        rlhf == null ? null : new Rlhf(rlhf.reward(), rlhf.beta() == null ? DEFAULT_RLHF_BETA : rlhf.beta()));
  }

  /** The spec's alpha, the registry's Amari convention (default {@value #DEFAULT_ALPHA}). */
  public double amariAlpha() {
    return divergence == null || divergence.alpha() == null ? DEFAULT_ALPHA : divergence.alpha();
  }

  /**
   * The alpha of the generator f the pseudo-reward -f'(pi/p) is written with (D_f(pi || p) =
   * E_p[f(pi / p)]; a → 1 is KL(p || pi)): the Amari alpha of the reversed pair, 1 - the spec's.
   */
  public double generatorAlpha() {
    return 1 - amariAlpha();
  }
}
