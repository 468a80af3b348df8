package dev.divergence.evaluation.provenance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.divergence.evaluation.inference.InferenceFailedException;
import dev.divergence.evaluation.inference.InferenceRejectedException;
import dev.divergence.math.provenance.TokenFrequencies;
import dev.divergence.platform.errors.FieldViolation;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.proto.inference.v1.ContinuationDistributions;
import dev.divergence.proto.inference.v1.ContinuationItem;
import dev.divergence.proto.inference.v1.ContinuationScore;
import dev.divergence.proto.inference.v1.NextTokenDistribution;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * From the inference service's scores to the library's DC-PDD and zero-shot statistic, with values
 * computed by hand below. The expected values are sums of at most four terms built from logarithms
 * of exact fractions in double precision: each term is within a few ulp (~1e-16 relative) of its
 * exact value, so 1e-14 absolute on quantities below 10 leaves a margin of 10x over the worst case.
 */
class ProvenanceAssemblyTest {

  private static final double EXACT = 1e-14;

  private static ContinuationScore scored(long[] ids, double... logProbabilities) {
    ContinuationScore.Builder score = ContinuationScore.newBuilder();
    for (long id : ids) {
      score.addTokenIds(id);
    }
    double sum = 0;
    for (double lp : logProbabilities) {
      score.addTokenLogProbs(lp);
      sum += lp;
    }
    return score.setSumLogProb(sum).setTokenCount(ids.length).build();
  }

  /** A text's tokens and log-probabilities with the entropy of the distribution before each (top 1 listed). */
  private static ContinuationDistributions distributions(long[] ids, double[] logProbabilities, double... entropies) {
    ContinuationDistributions.Builder text = ContinuationDistributions.newBuilder();
    for (int i = 0; i < ids.length; i++) {
      text.addTokenIds(ids[i]).addTokenLogProbs(logProbabilities[i]);
    }
    for (double entropy : entropies) {
      text.addDistributions(NextTokenDistribution.newBuilder().addTokenIds(0).addProbabilities(0.5).setTailMass(0.5)
          .setEntropy(entropy));
    }
    return text.build();
  }

  @Test
  void dcPddOfAScoredTextCountsFirstOccurrencesAndClipsAtA() {
    // reference counts [3, 1, 0, 0]: N = 4, |V| = 4, f = (c + 1) / 8 = [1/2, 1/4, 1/8, 1/8]
    TokenFrequencies frequencies = TokenFrequencies.ofCounts(new long[] {3, 1, 0, 0});
    // tokens 0, 2, 0, 1: the second 0 is a repeat and does not count (positions 0, 1, 3 do)
    ContinuationScore text = scored(new long[] {0, 2, 0, 1}, Math.log(0.5), Math.log(0.25), Math.log(0.9),
        Math.log(0.125));

    DcPddReport.Text result = ProvenanceAssembly.dcPdd(3, text, frequencies, 0.4);

    // alpha = p * -log f: 0.5 ln 2 = 0.3466, 0.25 ln 8 = 0.5199 (> a = 0.4: clipped), 0.125 ln 4 = 0.1733
    double[] alphas = {0.5 * Math.log(2), 0.25 * Math.log(8), 0.125 * Math.log(4)};
    assertThat(result.index()).isEqualTo(3);
    assertThat(result.scoredTokens()).isEqualTo(4);
    assertThat(result.countedTokens()).isEqualTo(3);
    assertThat(result.clippedCount()).isEqualTo(1);
    assertThat(result.score()).isCloseTo((alphas[0] + 0.4 + alphas[2]) / 3, within(EXACT));
    assertThat(result.score()).isCloseTo(0.3066201285, within(1e-9));
    assertThat(result.tokens()).extracting(DcPddReport.CountedToken::position).containsExactly(0, 1, 3);
    assertThat(result.tokens()).extracting(DcPddReport.CountedToken::tokenId).containsExactly(0L, 2L, 1L);
    double[] probabilities = {0.5, 0.25, 0.125};
    double[] negativeLogFrequencies = {Math.log(2), Math.log(8), Math.log(4)};
    double[] logProbabilities = {Math.log(0.5), Math.log(0.25), Math.log(0.125)};
    for (int k = 0; k < 3; k++) {
      DcPddReport.CountedToken token = result.tokens().get(k);
      assertThat(token.logProbability()).isEqualTo(logProbabilities[k]);
      assertThat(token.probability()).isCloseTo(probabilities[k], within(EXACT));
      assertThat(token.negativeLogFrequency()).isCloseTo(negativeLogFrequencies[k], within(EXACT));
      assertThat(token.alpha()).isCloseTo(alphas[k], within(EXACT));
      assertThat(token.clippedAlpha()).isCloseTo(Math.min(alphas[k], 0.4), within(EXACT));
    }
  }

  @Test
  void referenceCountsAreTheTokenIdsOfEveryTokenizedText() {
    List<ContinuationScore> tokenized = List.of(scored(new long[] {0, 0, 1}, -1, -1, -1), scored(new long[] {3, 0}, -1, -1));

    assertThat(ProvenanceAssembly.countTokens(tokenized, 4)).containsExactly(3, 1, 0, 1);
    assertThatThrownBy(() -> ProvenanceAssembly.countTokens(List.of(scored(new long[] {4}, -1)), 4))
        .isInstanceOf(InferenceFailedException.class).hasMessageContaining("token id 4");
  }

  @Test
  void countedReferenceTextsGiveTheSmoothedFrequenciesDcPddUses() {
    // the reference "aab" + "ca" in a 4-letter vocabulary: counts [3, 1, 1, 0], N = 5, f = (c + 1) / 9
    long[] counts = ProvenanceAssembly.countTokens(
        List.of(scored(new long[] {0, 0, 1}, -1, -1, -1), scored(new long[] {2, 0}, -1, -1)), 4);
    TokenFrequencies frequencies = TokenFrequencies.ofCounts(counts);
    ContinuationScore text = scored(new long[] {3, 0}, Math.log(0.5), Math.log(0.2));

    DcPddReport.Text result = ProvenanceAssembly.dcPdd(0, text, frequencies, 10.0);

    // alphas: 0.5 * ln(9 / 1) and 0.2 * ln(9 / 4); a = 10 clips nothing
    assertThat(result.clippedCount()).isZero();
    assertThat(result.score()).isCloseTo((0.5 * Math.log(9) + 0.2 * Math.log(9.0 / 4)) / 2, within(EXACT));
  }

  @Test
  void aTextIsScoredAfterItsFirstCharacterAndAReferenceTextWhole() {
    List<ContinuationItem> items = ProvenanceAssembly.scoringItems(List.of("héllo", "\uD83D\uDE00ab", "xy"));

    assertThat(items).extracting(ContinuationItem::getPrompt).containsExactly("h", "\uD83D\uDE00", "x");
    assertThat(items).extracting(ContinuationItem::getContinuation).containsExactly("éllo", "ab", "y");
    List<ContinuationItem> reference = ProvenanceAssembly.tokenizingItems(List.of("abc"));
    assertThat(reference.getFirst().getContinuation()).isEqualTo("abc");
    assertThat(reference.getFirst().getPrompt()).isEqualTo(ProvenanceAssembly.TOKENIZING_PROMPT);
  }

  @Test
  void zeroShotStatisticIsLogPerplexityMinusMeanEntropyWithTheConcentrationThreshold() {
    // n = 2, V = 4, delta = 0.1; s = [ln 2, ln 8], H = [ln 2, 1]
    ContinuationDistributions text = distributions(new long[] {0, 1}, new double[] {Math.log(0.5), Math.log(0.125)},
        Math.log(2), 1.0);

    ZeroShotReport.Text result = ProvenanceAssembly.zeroShot(1, text, 4, 0.1);

    double meanLogPerplexity = (Math.log(2) + Math.log(8)) / 2;
    double meanEntropy = (Math.log(2) + 1.0) / 2;
    double clipBound = Math.log(2.0 * 2 * 4 / 0.1); // ln 160
    double tau = clipBound * Math.sqrt(Math.log(4 / 0.1) / (2.0 * 2));
    double eps = 0.1 / (2 * Math.E * 2);
    assertThat(result.index()).isEqualTo(1);
    assertThat(result.tokens()).isEqualTo(2);
    assertThat(result.meanLogPerplexity()).isCloseTo(meanLogPerplexity, within(EXACT));
    assertThat(result.meanEntropy()).isCloseTo(meanEntropy, within(EXACT));
    assertThat(result.statistic()).isCloseTo(meanLogPerplexity - meanEntropy, within(EXACT));
    assertThat(result.statistic()).isCloseTo(0.5397208, within(1e-6));
    assertThat(result.clipBound()).isCloseTo(5.075174, within(1e-6));
    assertThat(result.upperThreshold()).isCloseTo(tau, within(EXACT));
    assertThat(result.lowerThreshold()).isCloseTo(-(tau + eps), within(EXACT));
    assertThat(result.consistentWithModel()).isTrue();
    assertThat(result.decision()).isEqualTo("consistent");
  }

  @Test
  void aTokenTheModelCannotProduceMakesTheTextInconsistent() {
    ContinuationDistributions text = distributions(new long[] {0, 1}, new double[] {Math.log(0.5),
        Double.NEGATIVE_INFINITY}, Math.log(2), 1.0);

    ZeroShotReport.Text result = ProvenanceAssembly.zeroShot(0, text, 4, 0.05);

    assertThat(result.statistic()).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(result.consistentWithModel()).isFalse();
    assertThat(result.decision()).isEqualTo("inconsistent");
  }

  @Test
  void scoresTheLibraryRejectsAreTheInferenceServicesFault() {
    ContinuationScore positive = scored(new long[] {0}, 0.5);

    assertThatThrownBy(() -> ProvenanceAssembly.dcPdd(4, positive, TokenFrequencies.ofCounts(new long[] {1, 1}), 0.01))
        .isInstanceOf(InferenceFailedException.class).hasMessageContaining("texts[4]");
    assertThatThrownBy(() -> ProvenanceAssembly.zeroShot(0, distributions(new long[] {0}, new double[] {-0.1}, 5.0), 4,
        0.05)).isInstanceOf(InferenceFailedException.class).hasMessageContaining("entropies[0]");
    ContinuationDistributions missing = distributions(new long[] {0, 1}, new double[] {-0.1, -0.2}, 1.0);
    assertThatThrownBy(() -> ProvenanceAssembly.zeroShot(2, missing, 4, 0.05))
        .isInstanceOf(InferenceFailedException.class).hasMessageContaining("1 distributions for 2 scored tokens of texts[2]");
  }

  @Test
  void inferenceRejectionsNameTheRequestsFields() {
    InferenceRejectedException tooLong = new InferenceRejectedException("items[3]: too long",
        List.of(new FieldViolation("items[3]", "prompt and continuation take 300 tokens, more than 256"),
            new FieldViolation("items[5].continuation", "encodes to no tokens")));

    RuntimeException renamed = ProvenanceAssembly.renamed(tooLong, i -> "texts[" + i + "]");

    assertThat(renamed).isInstanceOfSatisfying(InvalidArgumentException.class, error -> {
      assertThat(error.violations()).extracting(FieldViolation::field).containsExactly("texts[3]", "texts[5]");
      assertThat(error.violations().getFirst().message()).contains("items[3]").contains("more than 256");
      assertThat(error.violations().get(1).message()).contains("items[5].continuation").contains("encodes to no tokens");
    });
    // prefixes of the zero-shot statistic: prefix 4 belongs to text 1
    List<Integer> textOfPrefix = List.of(0, 0, 0, 1, 1);
    InferenceRejectedException prefix = new InferenceRejectedException("x", List.of(new FieldViolation("prefixes[4]", "bad")));
    assertThat(((InvalidArgumentException) ProvenanceAssembly.renamed(prefix, k -> "texts[" + textOfPrefix.get(k) + "]"))
        .violations().getFirst().field()).isEqualTo("texts[1]");
    InferenceRejectedException model = new InferenceRejectedException("m", List.of(new FieldViolation("model", "a classifier")));
    assertThat(((InvalidArgumentException) ProvenanceAssembly.renamed(model, i -> "texts[" + i + "]")).violations())
        .containsExactly(new FieldViolation("model", "a classifier"));
    InferenceRejectedException unnamed = new InferenceRejectedException("too large");
    assertThat(ProvenanceAssembly.renamed(unnamed, i -> "texts[" + i + "]")).isSameAs(unnamed);
  }
}
