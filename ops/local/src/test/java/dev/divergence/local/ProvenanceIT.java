package dev.divergence.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.divergence.proto.evaluation.v1.DcPddRequest;
import dev.divergence.proto.evaluation.v1.DcPddResponse;
import dev.divergence.proto.evaluation.v1.ProvenanceServiceGrpc;
import dev.divergence.proto.evaluation.v1.ZeroShotRequest;
import dev.divergence.proto.evaluation.v1.ZeroShotResponse;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Provenance and membership scores end to end, every part real and in its own process: the
 * evaluation service scores texts under the built-in tiny LM through the inference service's gRPC
 * API (and reads a reference dataset through training's), and its answers equal a float64
 * recomputation here, from the inference service's own REST scoring output, of DC-PDD and the
 * zero-shot statistic (an independent transcription of the formulas of docs/evaluation.md).
 *
 * <p>Tolerance: the test sends inference the same items (prompts and continuations) in the same order
 * and grouping as evaluation does (one call each: fewer items than its chunk size of 64),
 * so both read the same float32 forward passes; what differs is float64 arithmetic of at most 512
 * terms in another order, at most about 512 * 1.1e-16 = 6e-14 relative. 1e-10 relative (plus 1e-12
 * absolute for values near 0) is far above that and far below any formula or alignment error (a
 * token off by one position changes a log-probability by O(1)).
 */
class ProvenanceIT {

  private static final Duration LONG = Duration.ofMinutes(6);
  private static final double REL = 1e-10;
  private static final double ABS = 1e-12;
  private static final String MODEL = "tiny-lm";
  private static LocalPlatform platform;
  private static int vocabularySize;
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private static final JsonMapper JSON = JsonMapper.builder().build();

  @BeforeAll
  static void startPlatform() throws Exception {
    platform = LocalPlatform.start(TestPlatforms.builder("provenance", Component.KAFKA, Component.POSTGRES,
            Component.TRAINING, Component.INFERENCE, Component.EVALUATION)
        .serviceJvmOptions(TestPlatforms.serviceJvm("-Ddivergence.inference.built-in-budget=small",
            "-Ddivergence.training.built-in-budget=small")).build());
    await(MODEL + " is READY", () -> "READY".equals(get(Component.INFERENCE, "/api/v1/inference/models/" + MODEL)
        .get("state").asString()));
    vocabularySize = get(Component.INFERENCE, "/api/v1/inference/models/" + MODEL).get("vocabSize").asInt();
  }

  @AfterAll
  static void stopPlatform() {
    if (platform != null) {
      platform.close();
    }
  }

  // ---- independent float64 transcription ----------------------------------------------------

  /** One text as inference scored it: token ids and natural-log probabilities. */
  private record Scored(long[] ids, double[] logProbabilities) {}

  /** POST /api/v1/inference/score/continuations with (prompt, continuation) pairs. */
  private static List<Scored> inferenceScores(List<String[]> items) throws Exception {
    List<Map<String, String>> body = new ArrayList<>();
    for (String[] item : items) {
      body.add(Map.of("prompt", item[0], "continuation", item[1]));
    }
    JsonNode answer = post(Component.INFERENCE, "/api/v1/inference/score/continuations",
        Map.of("model", MODEL, "items", body), 200);
    List<Scored> scored = new ArrayList<>();
    for (JsonNode result : answer.get("results")) {
      long[] ids = new long[result.get("tokenIds").size()];
      double[] lps = new double[ids.length];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = result.get("tokenIds").get(i).asLong();
        lps[i] = result.get("tokenLogProbs").get(i).asDouble();
      }
      scored.add(new Scored(ids, lps));
    }
    return scored;
  }

  /** The texts as the service splits them: the first character is the prompt, the rest is scored (ASCII here). */
  private static List<String[]> afterFirstCharacter(List<String> texts) {
    return texts.stream().map(t -> new String[] {t.substring(0, 1), t.substring(1)}).toList();
  }

  private static long[] counts(List<String> referenceTexts) throws Exception {
    long[] counts = new long[vocabularySize];
    for (Scored text : inferenceScores(referenceTexts.stream().map(t -> new String[] {".", t}).toList())) {
      for (long id : text.ids()) {
        counts[(int) id]++;
      }
    }
    return counts;
  }

  /** DC-PDD (Zhang et al. 2024): beta = mean over first occurrences of min(p * -log f, a), f = (c + 1) / (N + |V|). */
  private record ExpectedDcPdd(double score, int clipped, List<Integer> positions, List<Double> alphas) {}

  private static ExpectedDcPdd dcPdd(Scored text, long[] counts, double a) {
    double total = 0;
    for (long c : counts) {
      total += c;
    }
    Set<Long> seen = new HashSet<>();
    double sum = 0;
    int clipped = 0;
    List<Integer> positions = new ArrayList<>();
    List<Double> alphas = new ArrayList<>();
    for (int i = 0; i < text.ids().length; i++) {
      if (!seen.add(text.ids()[i])) {
        continue;
      }
      double f = (counts[(int) text.ids()[i]] + 1.0) / (total + counts.length);
      double alpha = Math.exp(text.logProbabilities()[i]) * -Math.log(f);
      positions.add(i);
      alphas.add(alpha);
      clipped += alpha > a ? 1 : 0;
      sum += Math.min(alpha, a);
    }
    return new ExpectedDcPdd(sum / positions.size(), clipped, positions, alphas);
  }

  private static void close(double actual, double expected) {
    assertThat(actual).isCloseTo(expected, within(ABS + REL * Math.abs(expected)));
  }

  // ---- tests --------------------------------------------------------------------------------

  @Test
  void dcPddEqualsAFloat64RecomputationFromInferencesScores() throws Exception {
    List<String> texts = List.of("hello world", "12+30=42", "the cat sat on the mat");
    List<String> reference = List.of("the quick brown fox", "7+5=12", "hello there, world");
    double a = 0.05;
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("model", MODEL);
    body.put("texts", texts);
    body.put("referenceTexts", reference);
    body.put("a", a);

    JsonNode report = post(Component.EVALUATION, "/api/v1/evaluation/provenance/dc-pdd", body, 200);

    long[] counts = counts(reference);
    List<Scored> scored = inferenceScores(afterFirstCharacter(texts));
    long total = 0;
    for (long c : counts) {
      total += c;
    }
    assertThat(report.at("/reference/tokens").asLong()).isEqualTo(total);
    assertThat(report.at("/reference/vocabularySize").asInt()).isEqualTo(vocabularySize);
    assertThat(report.get("a").asDouble()).isEqualTo(a);
    for (int t = 0; t < texts.size(); t++) {
      ExpectedDcPdd expected = dcPdd(scored.get(t), counts, a);
      JsonNode result = report.get("results").get(t);
      assertThat(result.get("scoredTokens").asInt()).as(texts.get(t)).isEqualTo(texts.get(t).length() - 1);
      assertThat(result.get("clippedCount").asInt()).isEqualTo(expected.clipped());
      close(result.get("score").asDouble(), expected.score());
      for (int k = 0; k < expected.positions().size(); k++) {
        JsonNode token = result.get("tokens").get(k);
        assertThat(token.get("position").asInt()).isEqualTo(expected.positions().get(k));
        assertThat(token.get("tokenId").asLong()).isEqualTo(scored.get(t).ids()[expected.positions().get(k)]);
        close(token.get("alpha").asDouble(), expected.alphas().get(k));
      }
    }

    // gRPC with the same corpus as explicit counts gives the same scores
    ManagedChannel channel = channel();
    try {
      DcPddRequest.Builder request = DcPddRequest.newBuilder().setModel(MODEL).addAllTexts(texts).setA(a)
          .setVocabularySize(vocabularySize);
      for (long c : counts) {
        request.addTokenCounts(c);
      }
      DcPddResponse viaGrpc = ProvenanceServiceGrpc.newBlockingStub(channel).withInterceptors(Credentials.grpcIdentity(platform)).withDeadlineAfter(Duration.ofSeconds(60))
          .dcPdd(request.build());
      for (int t = 0; t < texts.size(); t++) {
        close(viaGrpc.getResults(t).getScore(), dcPdd(scored.get(t), counts, a).score());
      }
      assertThat(viaGrpc.getReference().getSource()).isEqualTo("tokenCounts");
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void aReferenceDatasetIsItsFirstRecordsTokenizedByTheModel() throws Exception {
    // the built-in arithmetic set's first 64 records, read independently through training's REST API
    HttpResponse<String> lines = HTTP.send(Credentials.as(platform, Component.TRAINING, HttpRequest.newBuilder(URI.create(platform.httpUrl(Component.TRAINING)
        + "/api/v1/training/datasets/arithmetic/records?limit=64"))).timeout(Duration.ofSeconds(30)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(lines.statusCode()).as(lines.body()).isEqualTo(200);
    List<String> records = new ArrayList<>();
    for (String line : lines.body().split("\n")) {
      if (!line.isBlank()) {
        JsonNode record = JSON.readTree(line);
        records.add(record.has("text") ? record.get("text").asString()
            : record.get("prompt").asString() + record.get("completion").asString());
      }
    }
    List<String> texts = List.of("3+4=7", "hello world");

    JsonNode report = post(Component.EVALUATION, "/api/v1/evaluation/provenance/dc-pdd",
        Map.of("model", MODEL, "texts", texts, "referenceDataset", "arithmetic"), 200);

    long[] counts = counts(records);
    List<Scored> scored = inferenceScores(afterFirstCharacter(texts));
    assertThat(report.at("/reference/texts").asInt()).isEqualTo(records.size());
    assertThat(report.at("/reference/dataset").asString()).isEqualTo("arithmetic");
    for (int t = 0; t < texts.size(); t++) {
      close(report.get("results").get(t).get("score").asDouble(), dcPdd(scored.get(t), counts, 0.01).score());
    }
  }

  @Test
  void zeroShotStatisticEqualsAFloat64RecomputationFromInferencesScores() throws Exception {
    // "café au lait": é is two UTF-8 bytes, two tokens of the byte-level tiny LM
    List<String> texts = List.of("hello world", "12+30=42", "café au lait");
    double delta = 0.05;

    JsonNode report = post(Component.EVALUATION, "/api/v1/evaluation/provenance/zero-shot",
        Map.of("model", MODEL, "texts", texts, "delta", delta), 200);

    List<Map<String, String>> items = new ArrayList<>();
    for (String[] item : afterFirstCharacter(texts)) {
      items.add(Map.of("prompt", item[0], "continuation", item[1]));
    }
    JsonNode scored = post(Component.INFERENCE, "/api/v1/inference/score/token-distributions",
        Map.of("model", MODEL, "items", items, "topK", 1), 200).get("results");
    for (int t = 0; t < texts.size(); t++) {
      JsonNode text = scored.get(t);
      int n = text.get("tokenLogProbs").size();
      double surprisal = 0;
      double entropy = 0;
      for (int i = 0; i < n; i++) {
        surprisal += -text.get("tokenLogProbs").get(i).asDouble();
        entropy += text.get("distributions").get(i).get("entropy").asDouble();
      }
      double statistic = surprisal / n - entropy / n;
      double clipBound = Math.log(2.0 * n * vocabularySize / delta);
      double tau = clipBound * Math.sqrt(Math.log(4 / delta) / (2.0 * n));
      double lower = -(tau + delta / (2 * Math.E * n));
      JsonNode result = report.get("results").get(t);
      assertThat(result.get("tokens").asInt()).isEqualTo(n)
          .isEqualTo(texts.get(t).substring(1).getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
      close(result.get("meanLogPerplexity").asDouble(), surprisal / n);
      close(result.get("meanEntropy").asDouble(), entropy / n);
      close(result.get("statistic").asDouble(), statistic);
      close(result.get("clipBound").asDouble(), clipBound);
      close(result.get("upperThreshold").asDouble(), tau);
      close(result.get("lowerThreshold").asDouble(), lower);
      assertThat(result.get("consistentWithModel").asBoolean()).isEqualTo(statistic > lower && statistic < tau);
      assertThat(result.get("decision").asString()).isEqualTo(statistic > lower && statistic < tau ? "consistent" : "inconsistent");
    }

    ManagedChannel channel = channel();
    try {
      ZeroShotResponse viaGrpc = ProvenanceServiceGrpc.newBlockingStub(channel).withInterceptors(Credentials.grpcIdentity(platform)).withDeadlineAfter(Duration.ofSeconds(60))
          .zeroShot(ZeroShotRequest.newBuilder().setModel(MODEL).addAllTexts(texts).setDelta(delta).build());
      for (int t = 0; t < texts.size(); t++) {
        assertThat(viaGrpc.getResults(t).getStatistic()).isEqualTo(report.get("results").get(t).get("statistic").asDouble());
      }
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void unknownModelsAndDatasetsAndTooLongTextsAreTheirFields() throws Exception {
    JsonNode unknown = post(Component.EVALUATION, "/api/v1/evaluation/provenance/zero-shot",
        Map.of("model", "no-such-model", "texts", List.of("hello")), 400);
    assertThat(unknown.at("/errors/0/field").asString()).isEqualTo("model");
    JsonNode dataset = post(Component.EVALUATION, "/api/v1/evaluation/provenance/dc-pdd",
        Map.of("model", MODEL, "texts", List.of("hello"), "referenceDataset", "no-such-data"), 400);
    assertThat(dataset.at("/errors/0/field").asString()).isEqualTo("referenceDataset");
    JsonNode tooLong = post(Component.EVALUATION, "/api/v1/evaluation/provenance/zero-shot",
        Map.of("model", MODEL, "texts", List.of("hello", "x".repeat(513))), 400);
    assertThat(tooLong.at("/errors/0/field").asString()).isEqualTo("texts[1]");
    ManagedChannel channel = channel();
    try {
      assertThatThrownBy(() -> ProvenanceServiceGrpc.newBlockingStub(channel).withInterceptors(Credentials.grpcIdentity(platform)).withDeadlineAfter(Duration.ofSeconds(60))
          .zeroShot(ZeroShotRequest.newBuilder().setModel("no-such-model").addTexts("hello").build()))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              error -> assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
    } finally {
      channel.shutdownNow();
    }
  }

  // ---- helpers ------------------------------------------------------------------------------

  private static ManagedChannel channel() {
    return ManagedChannelBuilder.forAddress("localhost", platform.ports().grpc(Component.EVALUATION)).usePlaintext().build();
  }

  private static JsonNode get(Component component, String path) {
    try {
      HttpResponse<String> response = HTTP.send(Credentials.as(platform, component, HttpRequest.newBuilder(URI.create(platform.httpUrl(component) + path)))
          .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(200);
      return JSON.readTree(response.body());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode post(Component component, String path, Object body, int status) throws Exception {
    HttpResponse<String> response = HTTP.send(Credentials.as(platform, component, HttpRequest.newBuilder(URI.create(platform.httpUrl(component) + path)))
        .timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(path + ": " + response.body()).isEqualTo(status);
    return JSON.readTree(response.body());
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + LONG.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        if (condition.getAsBoolean()) {
          return;
        }
      } catch (RuntimeException | AssertionError retry) {
        // a component still starting or a model still being made: keep polling until the deadline
      }
      try {
        Thread.sleep(500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting until " + what);
      }
    }
    throw new AssertionError("timed out after " + LONG + " waiting until " + what);
  }
}
