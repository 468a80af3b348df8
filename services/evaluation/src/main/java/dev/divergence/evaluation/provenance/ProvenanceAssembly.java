package dev.divergence.evaluation.provenance;

import dev.divergence.evaluation.inference.InferenceFailedException;
import dev.divergence.evaluation.inference.InferenceRejectedException;
import dev.divergence.math.provenance.DcPdd;
import dev.divergence.math.provenance.TokenFrequencies;
import dev.divergence.math.provenance.ZeroShotProvenance;
import dev.divergence.platform.errors.FieldViolation;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.proto.inference.v1.ContinuationDistributions;
import dev.divergence.proto.inference.v1.ContinuationItem;
import dev.divergence.proto.inference.v1.ContinuationScore;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * From what the inference service returns (token ids, log-probabilities, entropies) to the library's
 * scores: no calls here, so every step is unit-testable with hand-computed values.
 *
 * <p>The inference service scores a continuation after a non-empty prompt (an empty one is
 * INVALID_ARGUMENT) preceded by the model's BOS token when it has one. A submitted text is therefore
 * split after its first character: that character is the prompt, the rest the scored continuation,
 * encoded on its own by the model's tokenizer. The first character's tokens get no probability,
 * as with the DC-PDD authors' scripts on a tokenizer without BOS.
 */
public final class ProvenanceAssembly {

  /** The prompt a reference text is tokenized after: the continuation is encoded alone, so any non-empty prompt gives its exact tokens. */
  static final String TOKENIZING_PROMPT = ".";

  /** Fields the inference service names in its rejections. */
  private static final Pattern INFERENCE_FIELD = Pattern.compile("^(items|prefixes)\\[(\\d+)](.*)$");

  private ProvenanceAssembly() {}

  /** A text split for scoring: {@code prompt} is its first character, {@code continuation} the rest. */
  public record SplitText(String prompt, String continuation) {
    static SplitText of(String text) {
      int first = Character.charCount(text.codePointAt(0));
      return new SplitText(text.substring(0, first), text.substring(first));
    }
  }

  static List<ContinuationItem> scoringItems(List<String> texts) {
    return texts.stream().map(SplitText::of)
        .map(split -> ContinuationItem.newBuilder().setPrompt(split.prompt()).setContinuation(split.continuation()).build())
        .toList();
  }

  static List<ContinuationItem> tokenizingItems(List<String> texts) {
    return texts.stream()
        .map(text -> ContinuationItem.newBuilder().setPrompt(TOKENIZING_PROMPT).setContinuation(text).build()).toList();
  }

  /** Token counts of the reference corpus: the token ids of every tokenized text, counted per id. */
  static long[] countTokens(List<ContinuationScore> tokenized, int vocabularySize) {
    long[] counts = new long[vocabularySize];
    for (ContinuationScore text : tokenized) {
      for (long id : text.getTokenIdsList()) {
        if (id < 0 || id >= vocabularySize) {
          throw new InferenceFailedException("the inference service returned token id " + id + " outside the model's"
              + " vocabulary of " + vocabularySize);
        }
        counts[(int) id]++;
      }
    }
    return counts;
  }

  /** DC-PDD of one scored text ({@code index}: its place in the request, for the field a rejection names). */
  static DcPddReport.Text dcPdd(int index, ContinuationScore scored, TokenFrequencies frequencies, double a) {
    int n = scored.getTokenLogProbsCount();
    if (n == 0 || scored.getTokenIdsCount() != n) {
      throw new InferenceFailedException("the inference service returned " + scored.getTokenIdsCount() + " token ids and "
          + n + " log-probabilities for text " + index);
    }
    double[] logProbabilities = new double[n];
    int[] ids = new int[n];
    for (int i = 0; i < n; i++) {
      logProbabilities[i] = scored.getTokenLogProbs(i);
      long id = scored.getTokenIds(i);
      // ids outside the vocabulary are rejected by the library by index; keep them out of int range issues
      ids[i] = id < 0 || id > Integer.MAX_VALUE ? -1 : (int) id;
    }
    DcPdd.Result result = library(index, () -> DcPdd.score(logProbabilities, ids, frequencies, a));
    List<DcPddReport.CountedToken> tokens = new ArrayList<>(result.positions().length);
    for (int k = 0; k < result.positions().length; k++) {
      int position = result.positions()[k];
      tokens.add(new DcPddReport.CountedToken(position, ids[position], logProbabilities[position],
          result.tokenProbabilities()[k], result.negativeLogFrequencies()[k], result.alphas()[k],
          result.clippedAlphas()[k]));
    }
    return new DcPddReport.Text(index, result.score(), n, tokens.size(), result.clippedCount(), tokens);
  }

  /**
   * The zero-shot statistic of one text from the inference service's distributions before each of
   * its scored tokens (one forward pass): the log-probability of each token and the entropy of the
   * full distribution it was drawn from, at the same position.
   */
  static ZeroShotReport.Text zeroShot(int index, ContinuationDistributions scored, int vocabularySize, double delta) {
    int n = scored.getTokenLogProbsCount();
    if (n == 0 || scored.getDistributionsCount() != n) {
      throw new InferenceFailedException("the inference service returned " + scored.getDistributionsCount()
          + " distributions for " + n + " scored tokens of texts[" + index + "]");
    }
    double[] logProbabilities = new double[n];
    double[] entropies = new double[n];
    for (int i = 0; i < n; i++) {
      logProbabilities[i] = scored.getTokenLogProbs(i);
      entropies[i] = scored.getDistributions(i).getEntropy();
    }
    ZeroShotProvenance.Result result = library(index,
        () -> ZeroShotProvenance.test(logProbabilities, entropies, vocabularySize, delta));
    return new ZeroShotReport.Text(index, result.statistic(), result.meanLogPerplexity(), result.meanEntropy(),
        result.tokens(), result.clipBound(), result.upperThreshold(), result.lowerThreshold(),
        result.consistentWithModel(), result.consistentWithModel() ? "consistent" : "inconsistent");
  }

  /**
   * The inference service's rejection of a call made for this request, with its fields renamed to the
   * request's ({@code items[3].continuation} of a scoring call is {@code texts[3]}). A rejection that
   * names no item (the model, a size limit) is passed on as it is.
   */
  static RuntimeException renamed(InferenceRejectedException rejection, Function<Integer, String> fieldOfItem) {
    List<FieldViolation> violations = new ArrayList<>();
    for (FieldViolation violation : rejection.violations()) {
      Matcher matcher = INFERENCE_FIELD.matcher(violation.field());
      if (matcher.matches()) {
        violations.add(new FieldViolation(fieldOfItem.apply(Integer.parseInt(matcher.group(2))),
            "rejected by the inference service (" + matcher.group(1) + "[" + matcher.group(2) + "]" + matcher.group(3)
                + "): " + violation.message()));
      } else {
        violations.add(violation);
      }
    }
    return violations.isEmpty() ? rejection : new InvalidArgumentException(violations);
  }

  /**
   * The library rejects only values the inference service should never send (a positive
   * log-probability, an entropy above log V): that is the service's fault, not the caller's.
   */
  private static <T> T library(int index, java.util.function.Supplier<T> computation) {
    try {
      return computation.get();
    } catch (IllegalArgumentException error) {
      throw new InferenceFailedException("the scores the inference service returned for texts[" + index
          + "] are not valid: " + error.getMessage());
    }
  }
}
