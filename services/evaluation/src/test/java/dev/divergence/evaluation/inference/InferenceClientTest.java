package dev.divergence.evaluation.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.divergence.platform.errors.FieldViolation;
import dev.divergence.platform.grpc.client.GrpcClientProperties;
import dev.divergence.platform.grpc.client.GrpcClients;
import dev.divergence.proto.inference.v1.ClassifyResponse;
import dev.divergence.proto.inference.v1.ContinuationDistributions;
import dev.divergence.proto.inference.v1.ContinuationItem;
import dev.divergence.proto.inference.v1.ContinuationScore;
import dev.divergence.proto.inference.v1.GenerateRequest;
import dev.divergence.proto.inference.v1.GenerateResponse;
import dev.divergence.proto.inference.v1.ModelKind;
import dev.divergence.proto.inference.v1.NextTokenDistribution;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link InferenceClient} against a real gRPC server speaking the inference API with a model whose
 * answers are computed by hand here ({@link LetterModelInferenceServer}: p(t | prefix) =
 * (1 + count of t) / (4 + length)). Chunks of at most 3 items, as the server accepts no more.
 * Expected probabilities are exact fractions; 1e-12 covers the double rounding of a few divisions,
 * logarithms and a sum of four terms (each ~1e-16 relative).
 */
class InferenceClientTest {

  private static final double EXACT = 1e-12;

  private LetterModelInferenceServer server;
  private GrpcClients clients;
  private InferenceClient inference;

  @BeforeEach
  void start() {
    server = new LetterModelInferenceServer();
    inference = client(Duration.ofSeconds(10));
  }

  private InferenceClient client(Duration deadline) {
    if (clients != null) {
      clients.close();
    }
    clients = new GrpcClients(Map.of(InferenceClient.CLIENT,
        new GrpcClientProperties(server.target(), deadline, 3, Duration.ofMillis(10), Duration.ofMillis(20), null)),
        "evaluation", List.of());
    return new InferenceClient(clients, LetterModelInferenceServer.MAX_ITEMS);
  }

  @AfterEach
  void stop() {
    clients.close();
    server.close();
  }

  @Test
  void theModelIsDescribedByTheModelService() {
    var model = inference.model("letters");

    assertThat(model.getKind()).isEqualTo(ModelKind.MODEL_KIND_LANGUAGE_MODEL);
    assertThat(model.getVocabSize()).isEqualTo(4);
  }

  @Test
  void distributionsOfManyPrefixesComeInChunksTheServerAcceptsAndInTheCallersOrder() {
    // prefix i is i letters 'a': p(a) = (1 + i) / (4 + i), p(b) = p(c) = p(d) = 1 / (4 + i)
    List<String> prefixes = new ArrayList<>();
    for (int i = 1; i <= 8; i++) {
      prefixes.add("a".repeat(i));
    }

    List<NextTokenDistribution> distributions = inference.nextTokenDistributions("letters", prefixes, 0);

    assertThat(server.itemsPerCall).containsExactly(3, 3, 2);
    assertThat(distributions).hasSize(8);
    for (int i = 1; i <= 8; i++) {
      NextTokenDistribution distribution = distributions.get(i - 1);
      assertThat(distribution.getTokenIdsList()).containsExactly(0L, 1L, 2L, 3L);
      assertThat(distribution.getProbabilities(0)).isCloseTo((1.0 + i) / (4 + i), within(EXACT));
      assertThat(distribution.getProbabilities(3)).isCloseTo(1.0 / (4 + i), within(EXACT));
      assertThat(distribution.getTailMass()).isZero();
    }
  }

  @Test
  void topKListsTheMostProbableTokensAndTheTailMass() {
    // "abb": counts a 2, b 3, c 1, d 1 over 7
    NextTokenDistribution top = inference.nextTokenDistributions("letters", List.of("abb"), 2).getFirst();

    assertThat(top.getTokenIdsList()).containsExactly(1L, 0L);
    assertThat(top.getProbabilities(0)).isCloseTo(3.0 / 7, within(EXACT));
    assertThat(top.getProbabilities(1)).isCloseTo(2.0 / 7, within(EXACT));
    assertThat(top.getTailMass()).isCloseTo(2.0 / 7, within(EXACT));
    double entropy = -(3.0 / 7 * Math.log(3.0 / 7) + 2.0 / 7 * Math.log(2.0 / 7) + 2 * (1.0 / 7) * Math.log(1.0 / 7));
    assertThat(top.getEntropy()).isCloseTo(entropy, within(EXACT));
  }

  @Test
  void continuationsAreScoredInChunksInOrder() {
    // item i: prompt i letters 'a', continuation "ab": log((1 + i) / (4 + i)) + log(1 / (5 + i))
    List<ContinuationItem> items = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      items.add(ContinuationItem.newBuilder().setPrompt("a".repeat(i)).setContinuation("ab").build());
    }

    List<ContinuationScore> scores = inference.scoreContinuations("letters", items);

    assertThat(server.itemsPerCall).containsExactly(3, 3, 1);
    for (int i = 0; i < 7; i++) {
      ContinuationScore score = scores.get(i);
      assertThat(score.getTokenIdsList()).containsExactly(0L, 1L);
      assertThat(score.getSumLogProb()).isCloseTo(Math.log((1.0 + i) / (4 + i)) + Math.log(1.0 / (5 + i)), within(EXACT));
      assertThat(score.getTokenCount()).isEqualTo(2);
    }
  }

  @Test
  void tokenDistributionsOfManyItemsComeInChunksInOrder() {
    // item i: prompt i letters 'a', continuation "ab". Before 'a': p(a) = (1 + i) / (4 + i), the
    // others 1 / (4 + i); before 'b' (one more 'a'): p(a) = (2 + i) / (5 + i), the others 1 / (5 + i)
    List<ContinuationItem> items = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      items.add(ContinuationItem.newBuilder().setPrompt("a".repeat(i)).setContinuation("ab").build());
    }

    List<ContinuationDistributions> results = inference.tokenDistributions("letters", items, 0);

    assertThat(server.itemsPerCall).containsExactly(3, 3, 1);
    assertThat(results).hasSize(7);
    for (int i = 0; i < 7; i++) {
      ContinuationDistributions result = results.get(i);
      assertThat(result.getTokenIdsList()).containsExactly(0L, 1L);
      assertThat(result.getPromptTokenCount()).isEqualTo(i);
      assertThat(result.getTokenLogProbs(0)).isCloseTo(Math.log((1.0 + i) / (4 + i)), within(EXACT));
      assertThat(result.getTokenLogProbs(1)).isCloseTo(Math.log(1.0 / (5 + i)), within(EXACT));
      assertThat(result.getDistributionsCount()).isEqualTo(2);
      NextTokenDistribution first = result.getDistributions(0);
      assertThat(first.getTokenIdsList()).containsExactly(0L, 1L, 2L, 3L);
      assertThat(first.getProbabilities(0)).isCloseTo((1.0 + i) / (4 + i), within(EXACT));
      assertThat(first.getProbabilities(2)).isCloseTo(1.0 / (4 + i), within(EXACT));
      NextTokenDistribution second = result.getDistributions(1);
      assertThat(second.getProbabilities(0)).isCloseTo((2.0 + i) / (5 + i), within(EXACT));
      assertThat(second.getProbabilities(1)).isCloseTo(1.0 / (5 + i), within(EXACT));
      assertThat(second.getTailMass()).isZero();
    }
  }

  @Test
  void tokenDistributionsWithTopKListTheMostProbableTokensAtEachPosition() {
    // prompt "ab", continuation "bb": before the first b counts a 2, b 2, c 1, d 1 over 6 (a before b
    // among equals); before the second, "abb": b 3, a 2 over 7
    ContinuationDistributions result = inference.tokenDistributions("letters",
        List.of(ContinuationItem.newBuilder().setPrompt("ab").setContinuation("bb").build()), 2).getFirst();

    assertThat(result.getDistributions(0).getTokenIdsList()).containsExactly(0L, 1L);
    assertThat(result.getDistributions(0).getTailMass()).isCloseTo(2.0 / 6, within(EXACT));
    assertThat(result.getDistributions(1).getTokenIdsList()).containsExactly(1L, 0L);
    assertThat(result.getDistributions(1).getProbabilities(0)).isCloseTo(3.0 / 7, within(EXACT));
    assertThat(result.getDistributions(1).getTailMass()).isCloseTo(2.0 / 7, within(EXACT));
    assertThat(result.getTokenLogProbs(0)).isCloseTo(Math.log(2.0 / 6), within(EXACT));
    assertThat(result.getTokenLogProbs(1)).isCloseTo(Math.log(3.0 / 7), within(EXACT));
  }

  @Test
  void aRejectedTokenDistributionsItemIsNamedByItsIndexInTheCallersList() {
    List<ContinuationItem> items = new ArrayList<>();
    for (String continuation : List.of("a", "b", "c", "d", "xy")) {
      items.add(ContinuationItem.newBuilder().setPrompt("a").setContinuation(continuation).build());
    }

    assertThatThrownBy(() -> inference.tokenDistributions("letters", items, 0))
        .isInstanceOfSatisfying(InferenceRejectedException.class,
            e -> assertThat(e.violations()).containsExactly(new FieldViolation("items[4].continuation", "must be letters a-d")));
    assertThat(server.itemsPerCall).containsExactly(3, 2);
  }

  @Test
  void tokenDistributionChunksStayWithinTheServicesBoundOnListedValues() {
    // 10 values per token, at most 100 per chunk, at most 3 items: an item of b UTF-8 bytes counts (b + 1) * 10
    List<ContinuationItem> fourOfThreeBytes = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      fourOfThreeBytes.add(ContinuationItem.newBuilder().setPrompt("a").setContinuation("abc").build());
    }
    // 40 + 40 = 80; a third would make 120
    assertThat(InferenceClient.distributionChunkEnds(fourOfThreeBytes, 10, 100, 3)).containsExactly(2, 4);
    // "é" is two UTF-8 bytes: 30 each, three fit by value and the item count closes the chunk
    List<ContinuationItem> accented = java.util.Collections.nCopies(5,
        ContinuationItem.newBuilder().setPrompt("a").setContinuation("é").build());
    assertThat(InferenceClient.distributionChunkEnds(accented, 10, 100, 3)).containsExactly(3, 5);
    // an item over the bound on its own goes alone, between the others
    List<ContinuationItem> oneTooLong = List.of(fourOfThreeBytes.get(0),
        ContinuationItem.newBuilder().setPrompt("a").setContinuation("x".repeat(20)).build(), fourOfThreeBytes.get(0));
    assertThat(InferenceClient.distributionChunkEnds(oneTooLong, 10, 100, 3)).containsExactly(1, 2, 3);
  }

  @Test
  void featureVectorsAreClassifiedInChunksWithTheClassNames() {
    // vector i = [0, ln(i + 1)]: p(pos) = (i + 1) / (i + 2)
    List<float[]> features = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      features.add(new float[] {0f, (float) Math.log(i + 1)});
    }

    ClassifyResponse classified = inference.classify("signs", features);

    assertThat(server.itemsPerCall).containsExactly(3, 2);
    assertThat(classified.getClassNamesList()).containsExactly("neg", "pos");
    assertThat(classified.getVersion()).isEqualTo("1");
    assertThat(classified.getResultsList()).hasSize(5);
    for (int i = 0; i < 5; i++) {
      // the feature went through float32: ln(i + 1) rounded to within 2^-24 relative, so p(pos) is
      // off by at most |d p / d x| * |x| * 2^-24 <= 0.25 * ln(5) * 6e-8 < 1e-7
      assertThat(classified.getResults(i).getProbabilities(1)).isCloseTo((i + 1.0) / (i + 2), within(1e-7));
    }
    assertThat(classified.getResults(0).getLabel()).isEqualTo("neg");
    assertThat(classified.getResults(4).getLabel()).isEqualTo("pos");
  }

  @Test
  void anEmptyListNeedsNoCall() {
    assertThat(inference.nextTokenDistributions("letters", List.of(), 0)).isEmpty();
    assertThat(inference.tokenDistributions("letters", List.of(), 0)).isEmpty();
    assertThat(inference.classify("signs", List.of()).getResultsList()).isEmpty();
    assertThat(server.itemsPerCall).isEmpty();
  }

  @Test
  void generationIsForwarded() {
    // greedy from "cc": c has 3/6, then 4/7
    GenerateResponse generated = inference.generate(GenerateRequest.newBuilder().setModel("letters").setPrompt("cc")
        .setMaxTokens(2).build());

    assertThat(generated.getText()).isEqualTo("cc");
    assertThat(generated.getTokens(0).getLogProb()).isCloseTo(Math.log(3.0 / 6), within(EXACT));
    assertThat(generated.getTokens(1).getLogProb()).isCloseTo(Math.log(4.0 / 7), within(EXACT));
  }

  @Test
  void anUnknownModelIsModelNotFound() {
    assertThatThrownBy(() -> inference.nextTokenDistributions("nope", List.of("a"), 0))
        .isInstanceOfSatisfying(ModelNotFoundException.class, e -> {
          assertThat(e.model()).isEqualTo("nope");
          assertThat(e).hasMessage("model 'nope' is not served by the inference service");
        });
    assertThatThrownBy(() -> inference.model("nope")).isInstanceOf(ModelNotFoundException.class);
  }

  @Test
  void aModelThatIsNotLoadedIsUnavailableWithTheServersReason() {
    assertThatThrownBy(() -> inference.scoreContinuations("loading",
            List.of(ContinuationItem.newBuilder().setPrompt("a").setContinuation("b").build())))
        .isInstanceOfSatisfying(ModelUnavailableException.class, e -> {
          assertThat(e.model()).isEqualTo("loading");
          assertThat(e.reason()).isEqualTo("model 'loading' is LOADING, not READY");
        });
    // FAILED_PRECONDITION is an answer: not retried
    assertThat(server.callsPerModel.get("loading")).hasValue(1);
  }

  @Test
  void aModelThatStaysUnavailableFailsAfterTheRetries() {
    assertThatThrownBy(() -> inference.generate(GenerateRequest.newBuilder().setModel("preparing").setPrompt("a").build()))
        .isInstanceOfSatisfying(ModelUnavailableException.class, e -> assertThat(e.reason())
            .isEqualTo("the inference service is unavailable after 3 attempts (model 'preparing' is being prepared)"));
    assertThat(server.callsPerModel.get("preparing")).hasValue(3);
  }

  @Test
  void aServerThatDoesNotAnswerInTimeMakesTheModelUnavailableInsteadOfHanging() {
    InferenceClient impatient = client(Duration.ofMillis(300));

    assertThatThrownBy(() -> impatient.model("slow"))
        .isInstanceOfSatisfying(ModelUnavailableException.class,
            e -> assertThat(e.reason()).isEqualTo("the inference service did not answer within 300 ms"));
  }

  @Test
  void aRejectedItemIsNamedByItsIndexInTheCallersListNotInTheChunk() {
    // the fifth prefix is the second of the second chunk: the server names prefixes[1]
    List<String> prefixes = List.of("a", "b", "c", "d", "xyz", "a");

    assertThatThrownBy(() -> inference.nextTokenDistributions("letters", prefixes, 0))
        .isInstanceOfSatisfying(InferenceRejectedException.class, e -> {
          assertThat(e).hasMessage("the inference service rejected the request: prefixes[4]: only letters a-d");
          assertThat(e.violations()).containsExactly(new FieldViolation("prefixes[4]", "only letters a-d"));
        });
    assertThat(server.itemsPerCall).containsExactly(3, 3);
  }

  @Test
  void nestedFieldsOfLaterChunksAreRenumberedToo() {
    assertThat(InferenceClient.shifted("items[2].continuation: must be letters a-d; items[0].prompt: x", 64))
        .isEqualTo("items[66].continuation: must be letters a-d; items[64].prompt: x");
    assertThat(InferenceClient.shifted("model: is required", 64)).isEqualTo("model: is required");
  }

  @Test
  void aModelReplacedBetweenChunksFailsTheCallInsteadOfMixingVersions() {
    assertThatThrownBy(() -> inference.nextTokenDistributions("replaced", List.of("a", "b", "c", "d"), 0))
        .isInstanceOfSatisfying(ModelUnavailableException.class, e -> assertThat(e.reason())
            .isEqualTo("it was replaced by version 2 while version 1 was computing this request; run it again"));
  }

  @Test
  void anInternalFailureOfTheInferenceServiceIsReportedAsSuch() {
    assertThatThrownBy(() -> inference.classify("broken", List.<float[]>of(new float[] {1f, 2f})))
        .isInstanceOf(InferenceFailedException.class)
        .hasMessage("the inference service failed on model 'broken': INTERNAL internal error");
  }

  @Test
  void withoutATargetTheServiceDoesNotStartAndSaysWhichPropertyIsMissing() {
    GrpcClients unconfigured = new GrpcClients(Map.of(), "evaluation", List.of());

    assertThatThrownBy(() -> new InferenceClient(unconfigured, 64))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("divergence.clients.inference.target is not set");
  }
}
