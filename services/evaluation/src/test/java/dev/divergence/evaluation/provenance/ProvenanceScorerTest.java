package dev.divergence.evaluation.provenance;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.divergence.evaluation.datasets.DatasetClient;
import dev.divergence.evaluation.inference.InferenceClient;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.grpc.client.GrpcClientProperties;
import dev.divergence.platform.grpc.client.GrpcClients;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ProvenanceScorer} through the real gRPC clients against {@link LettersInferenceAndDatasets},
 * whose letter model is computed by hand here: p(t | text) = (1 + count of t) / (4 + letters). The
 * inference client sends 2 items per call, so results and rejected indices cross chunk boundaries.
 * Expected values are a few logarithms of exact fractions and their means, each within a few ulp
 * (~1e-16 relative) of the exact value; 1e-14 absolute on quantities below 2 is a 10x margin.
 */
class ProvenanceScorerTest {

  private static final double EXACT = 1e-14;

  private LettersInferenceAndDatasets server;
  private GrpcClients clients;
  private ProvenanceScorer scorer;

  @BeforeEach
  void start() {
    server = new LettersInferenceAndDatasets();
    GrpcClientProperties settings = new GrpcClientProperties(server.target(), Duration.ofSeconds(10), 3,
        Duration.ofMillis(10), Duration.ofMillis(20), null);
    clients = new GrpcClients(Map.of(InferenceClient.CLIENT, settings, DatasetClient.CLIENT, settings), "evaluation",
        List.of());
    scorer = new ProvenanceScorer(new InferenceClient(clients, 2), new DatasetClient(clients));
  }

  @AfterEach
  void stop() {
    clients.close();
    server.close();
  }

  private static void rejects(ThrowingCallable call, String field, String detail) {
    assertThatThrownBy(call).isInstanceOfSatisfying(InvalidArgumentException.class, error -> {
      assertThat(error.violations().getFirst().field()).isEqualTo(field);
      assertThat(error.violations().getFirst().message()).contains(detail);
    });
  }

  private static DcPddQuery referenceTexts(List<String> texts, Double a) {
    return new DcPddQuery("letters", texts, List.of("aab", "ca"), null, null, null, a);
  }

  /**
   * "abd" after the reference "aab" + "ca" (counts [3, 1, 1, 0], N = 5, f = (c + 1) / 9): the prompt
   * is "a", then b with p = 1/5 and -log f = ln(9/2), d with p = 1/6 and -log f = ln 9.
   */
  @Test
  void dcPddOfReferenceTextsTokenizedByTheModel() {
    DcPddReport report = scorer.dcPdd(referenceTexts(List.of("abd"), 0.35));

    double alphaB = Math.log(4.5) / 5; // 0.3008
    double alphaD = Math.log(9) / 6; // 0.3662 > 0.35: clipped
    assertThat(report.model()).isEqualTo("letters");
    assertThat(report.modelVersion()).isEqualTo("7");
    assertThat(report.a()).isEqualTo(0.35);
    assertThat(report.reference()).isEqualTo(new DcPddReport.Reference("referenceTexts", null, 2, 5, 4));
    DcPddReport.Text text = report.results().getFirst();
    assertThat(text.scoredTokens()).isEqualTo(2);
    assertThat(text.clippedCount()).isEqualTo(1);
    assertThat(text.score()).isCloseTo((alphaB + 0.35) / 2, within(EXACT));
    assertThat(text.tokens()).extracting(DcPddReport.CountedToken::tokenId).containsExactly(1L, 3L);
    assertThat(text.tokens().getFirst().probability()).isCloseTo(0.2, within(EXACT));
    assertThat(text.tokens().get(1).negativeLogFrequency()).isCloseTo(Math.log(9), within(EXACT));
    assertThat(text.tokens().get(1).alpha()).isCloseTo(alphaD, within(EXACT));
    assertThat(report.convention().defaultA()).isEqualTo(0.01);
  }

  @Test
  void theThreeReferencesOfTheSameCorpusGiveTheSameScores() {
    List<String> texts = List.of("abd", "cab", "dd");
    DcPddReport fromTexts = scorer.dcPdd(referenceTexts(texts, 1.0));
    DcPddReport fromDataset = scorer.dcPdd(new DcPddQuery("letters", texts, null, "corpus", null, null, 1.0));
    DcPddReport fromCounts = scorer.dcPdd(new DcPddQuery("letters", texts, null, null, new long[] {3, 1, 1, 0}, 4, 1.0));

    assertThat(fromDataset.reference()).isEqualTo(new DcPddReport.Reference("referenceDataset", "corpus", 2, 5, 4));
    assertThat(fromCounts.reference()).isEqualTo(new DcPddReport.Reference("tokenCounts", null, 0, 5, 4));
    assertThat(fromDataset.results()).isEqualTo(fromTexts.results());
    assertThat(fromCounts.results()).isEqualTo(fromTexts.results());
    // "dd": prompt "d", then d with p = 2/5 and -log f = ln 9; a = 1 clips nothing
    assertThat(fromTexts.results().get(2).score()).isCloseTo(0.4 * Math.log(9), within(EXACT));
    assertThat(fromTexts.results()).extracting(DcPddReport.Text::index).containsExactly(0, 1, 2);
  }

  /**
   * "abca": prompt "a"; b after "a" (p = 1/5), c after "ab" (1/6), a after "abc" (2/7); entropies of
   * [2,1,1,1]/5, [2,2,1,1]/6, [2,2,2,1]/7.
   */
  @Test
  void zeroShotStatisticFromEachTokensLogProbabilityAndTheEntropyOfItsDistribution() {
    // chunks of 2: "abca" is the first item of the second call
    ZeroShotReport report = scorer.zeroShot(new ZeroShotQuery("letters", List.of("dd", "cc", "abca"), 0.1));

    double meanLogPerplexity = -(Math.log(1.0 / 5) + Math.log(1.0 / 6) + Math.log(2.0 / 7)) / 3;
    double meanEntropy = (h(2, 1, 1, 1) + h(2, 2, 1, 1) + h(2, 2, 2, 1)) / 3;
    double clipBound = Math.log(2.0 * 3 * 4 / 0.1);
    double tau = clipBound * Math.sqrt(Math.log(4 / 0.1) / (2.0 * 3));
    ZeroShotReport.Text text = report.results().get(2);
    assertThat(report.vocabularySize()).isEqualTo(4);
    assertThat(report.delta()).isEqualTo(0.1);
    assertThat(text.index()).isEqualTo(2);
    assertThat(text.tokens()).isEqualTo(3);
    assertThat(text.meanLogPerplexity()).isCloseTo(meanLogPerplexity, within(EXACT));
    assertThat(text.meanEntropy()).isCloseTo(meanEntropy, within(EXACT));
    assertThat(text.statistic()).isCloseTo(meanLogPerplexity - meanEntropy, within(EXACT));
    assertThat(text.upperThreshold()).isCloseTo(tau, within(EXACT));
    assertThat(text.lowerThreshold()).isCloseTo(-(tau + 0.1 / (2 * Math.E * 3)), within(EXACT));
    assertThat(text.decision()).isEqualTo("consistent");
    // "dd": d after "d", p = 2/5, entropy of [1,1,1,2]/5
    assertThat(report.results().getFirst().statistic()).isCloseTo(-Math.log(0.4) - h(2, 1, 1, 1), within(EXACT));
    assertThat(scorer.zeroShot(new ZeroShotQuery("letters", List.of("dd"), null)).delta()).isEqualTo(0.05);
  }

  /** Entropy of counts / their sum, in nats. */
  private static double h(double... counts) {
    double total = 0;
    for (double c : counts) {
      total += c;
    }
    double entropy = 0;
    for (double c : counts) {
      entropy -= c / total * Math.log(c / total);
    }
    return entropy;
  }

  @Test
  void anUnknownModelOrAClassifierIsTheModelField() {
    rejects(() -> scorer.dcPdd(new DcPddQuery("nope", List.of("ab"), List.of("a"), null, null, null, null)), "model",
        "'nope' is not served");
    rejects(() -> scorer.zeroShot(new ZeroShotQuery("nope", List.of("ab"), null)), "model", "'nope' is not served");
    rejects(() -> scorer.zeroShot(new ZeroShotQuery("signs", List.of("ab"), null)), "model", "not a language model");
  }

  @Test
  void textsTheModelRejectsAreNamedAtTheirIndexInTheRequest() {
    // chunks of 2: the third text is item 0 of the second call
    rejects(() -> scorer.zeroShot(new ZeroShotQuery("letters", List.of("ab", "cd", "az"), null)), "texts[2]",
        "must be letters a-d");
    rejects(() -> scorer.dcPdd(new DcPddQuery("letters", List.of("ab"), List.of("ab", "cd", "x!"), null, null, null, null)),
        "referenceTexts[2]", "must be letters a-d");
  }

  @Test
  void referencesThatDoNotFitTheModelOrRegistryAreTheirFields() {
    rejects(() -> scorer.dcPdd(new DcPddQuery("letters", List.of("ab"), null, null, new long[] {1, 1, 1, 1, 1}, 5, null)),
        "vocabularySize", "model 'letters' has a vocabulary of 4 tokens");
    rejects(() -> scorer.dcPdd(new DcPddQuery("letters", List.of("ab"), null, "missing", null, null, null)),
        "referenceDataset", "no dataset 'missing'");
    rejects(() -> scorer.dcPdd(new DcPddQuery("letters", List.of("ab"), null, "pairs", null, null, null)),
        "referenceDataset", "holds preference records");
  }
}
