package dev.divergence.inference.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.inference.FloatTolerances;
import dev.divergence.inference.InferenceTestBase;
import dev.divergence.inference.RestCalls;
import dev.divergence.inference.models.CatalogWaits;
import dev.divergence.inference.models.ModelCatalog;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.classifier.Classifier;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.model.lm.LogProbs;
import dev.divergence.model.tokenizer.ByteTokenizer;
import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.proto.inference.v1.ClassifyRequest;
import dev.divergence.proto.inference.v1.ContinuationItem;
import dev.divergence.proto.inference.v1.FeatureVector;
import dev.divergence.proto.inference.v1.GetModelRequest;
import dev.divergence.proto.inference.v1.ListModelsRequest;
import dev.divergence.proto.inference.v1.ModelServiceGrpc;
import dev.divergence.proto.inference.v1.NextTokenDistributionsRequest;
import dev.divergence.proto.inference.v1.ScoreContinuationsRequest;
import dev.divergence.proto.inference.v1.ScoreContinuationsResponse;
import dev.divergence.proto.inference.v1.ScoringServiceGrpc;
import dev.divergence.proto.inference.v1.ServingState;
import dev.divergence.proto.inference.v1.TokenDistributionsRequest;
import dev.divergence.proto.inference.v1.TokenDistributionsResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import tools.jackson.databind.JsonNode;

/**
 * Scores served through the Triton client equal libs/model computing the same quantities directly
 * on the same model folders (within the float32 summation-order bounds of FloatTolerances), over
 * REST and gRPC; bad input is rejected naming the field.
 */
class ScoringIT extends InferenceTestBase {

  private static final String LM = "tiny-lm";
  private static final String CLASSIFIER = "breast-cancer-mlp-student";
  private static final Path LM_DIR = Path.of("target", "it-data", "models", LM, "1");
  private static final Path CLASSIFIER_DIR = Path.of("target", "it-data", "models", CLASSIFIER, "1");
  private static NDManager manager;
  private static ManagedChannel channel;

  @LocalServerPort int port;
  @Autowired GrpcServerLifecycle grpc;
  @Autowired ModelCatalog catalog;
  @Autowired dev.divergence.modelserver.client.TritonClient triton;
  private RestCalls rest;

  @BeforeAll
  static void engine() {
    DjlRuntime.configure(Path.of("target", "djl-cache"));
    manager = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
  }

  @AfterAll
  static void release() {
    manager.close();
    if (channel != null) {
      channel.shutdownNow();
    }
  }

  @BeforeEach
  void ready() throws Exception {
    CatalogWaits.ready(catalog, LM);
    CatalogWaits.ready(catalog, CLASSIFIER);
    rest = new RestCalls(port);
    if (channel == null) {
      channel = NettyChannelBuilder.forAddress("localhost", grpc.port()).usePlaintext().build();
    }
  }

  @Test
  void continuationLogProbsEqualLibsModel() throws Exception {
    List<String[]> pairs = List.of(new String[] {"12+7=", "19"}, new String[] {"The cat", " sat on the mat."},
        new String[] {"a", "b"});
    List<Map<String, String>> items = pairs.stream().map(p -> Map.of("prompt", p[0], "continuation", p[1])).toList();
    HttpResponse<String> response = rest.post("/api/v1/inference/score/continuations", Map.of("model", LM, "items", items));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode body = RestCalls.json(response);
    assertThat(body.get("version").asString()).isEqualTo("1");

    ByteTokenizer bytes = new ByteTokenizer();
    List<long[]> prompts = pairs.stream().map(p -> bytes.encodeWithBos(p[0])).toList();
    List<long[]> continuations = pairs.stream().map(p -> bytes.encode(p[1])).toList();
    List<float[]> expected;
    double[] logitTolerance = new double[pairs.size()];
    try (NDManager m = manager.newSubManager(); LlamaModel model = LlamaModel.load(m, LM_DIR)) {
      expected = LogProbs.continuations(model, m, prompts, continuations);
      for (int i = 0; i < pairs.size(); i++) {
        long[] ids = java.util.stream.LongStream.concat(java.util.Arrays.stream(prompts.get(i)), java.util.Arrays.stream(continuations.get(i)))
            .toArray();
        float[] logits = model.forward(m.create(ids, new Shape(1, ids.length)), null).toFloatArray();
        // the service's batched, padded forward against this one: summation order only
        logitTolerance[i] = FloatTolerances.decoderLogits(model.config(), ids.length, FloatTolerances.largestAbs(logits));
      }
    }
    for (int i = 0; i < pairs.size(); i++) {
      JsonNode score = body.get("results").get(i);
      float[] want = expected.get(i);
      assertThat(score.get("tokenCount").asInt()).isEqualTo(want.length);
      double sum = 0;
      // a log-softmax value moves by at most twice the largest logit change; the sum by that per token
      double logProbTolerance = 2 * logitTolerance[i];
      for (int t = 0; t < want.length; t++) {
        assertThat(score.get("tokenIds").get(t).asLong()).isEqualTo(continuations.get(i)[t]);
        assertThat(score.get("tokenLogProbs").get(t).asDouble()).isCloseTo(want[t], within(logProbTolerance));
        sum += want[t];
      }
      assertThat(score.get("sumLogProb").asDouble()).isCloseTo(sum, within(logProbTolerance * want.length));
      assertThat(score.get("meanLogProb").asDouble()).isCloseTo(sum / want.length, within(logProbTolerance));
    }

    // gRPC gives the same numbers
    ScoreContinuationsRequest.Builder request = ScoreContinuationsRequest.newBuilder().setModel(LM);
    pairs.forEach(p -> request.addItems(ContinuationItem.newBuilder().setPrompt(p[0]).setContinuation(p[1])));
    ScoreContinuationsResponse overGrpc = ScoringServiceGrpc.newBlockingStub(channel).scoreContinuations(request.build());
    for (int i = 0; i < pairs.size(); i++) {
      // the same double, once as a protobuf double and once as JSON (shortest round-tripping decimal)
      assertThat(overGrpc.getScores(i).getSumLogProb()).isEqualTo(body.get("results").get(i).get("sumLogProb").asDouble());
    }
  }

  /**
   * Items of different lengths (a one-token continuation, long ones, several requests' worth) for
   * the one-forward-per-item paths against the per-prefix path (NextTokenDistributions, one row per
   * prefix answered by the entry's last-position logits).
   */
  private static final List<String[]> PAIRS = List.of(new String[] {"12+7=", "19"}, new String[] {"a", "b"},
      new String[] {"The cat", " sat on the mat, and then it sat on the hat."}, new String[] {"34+58=", "92"},
      new String[] {"Once upon a time", " there was a tiny model"}, new String[] {"x", "yz"});

  @Test
  void continuationLogProbsEqualThePerPrefixPath() throws Exception {
    List<Map<String, String>> items = PAIRS.stream().map(p -> Map.of("prompt", p[0], "continuation", p[1])).toList();
    JsonNode body = RestCalls.json(rest.post("/api/v1/inference/score/continuations", Map.of("model", LM, "items", items)));
    PerPrefix reference = perPrefix(PAIRS);
    for (int i = 0; i < PAIRS.size(); i++) {
      JsonNode score = body.get("results").get(i);
      long[] continuation = new ByteTokenizer().encode(PAIRS.get(i)[1]);
      assertThat(score.get("tokenCount").asInt()).isEqualTo(continuation.length);
      for (int t = 0; t < continuation.length; t++) {
        assertThat(score.get("tokenIds").get(t).asLong()).isEqualTo(continuation[t]);
        assertThat(score.get("tokenLogProbs").get(t).asDouble()).as("item %d token %d", i, t)
            .isCloseTo(reference.logProb(i, t, continuation[t]), within(reference.logProbTolerance(i)));
      }
    }
  }

  @Test
  void tokenDistributionsEqualThePerPrefixPathOverRestAndGrpc() throws Exception {
    List<Map<String, String>> items = PAIRS.stream().map(p -> Map.of("prompt", p[0], "continuation", p[1])).toList();
    HttpResponse<String> fullResponse = rest.post("/api/v1/inference/score/token-distributions", Map.of("model", LM, "items", items));
    assertThat(fullResponse.statusCode()).as(fullResponse.body()).isEqualTo(200);
    JsonNode full = RestCalls.json(fullResponse);
    JsonNode top = RestCalls.json(rest.post("/api/v1/inference/score/token-distributions",
        Map.of("model", LM, "items", items, "topK", 4)));
    assertThat(full.get("version").asString()).isEqualTo("1");
    PerPrefix reference = perPrefix(PAIRS);
    ByteTokenizer bytes = new ByteTokenizer();
    for (int i = 0; i < PAIRS.size(); i++) {
      long[] continuation = bytes.encode(PAIRS.get(i)[1]);
      JsonNode result = full.get("results").get(i);
      JsonNode best = top.get("results").get(i);
      assertThat(result.get("promptTokenCount").asInt()).isEqualTo(bytes.encodeWithBos(PAIRS.get(i)[0]).length);
      assertThat(result.get("distributions").size()).isEqualTo(continuation.length);
      double delta = reference.logitTolerance(i);
      // as nextTokenDistributionsEqualLibsModel: probabilities within 2.01 delta, entropy within 2 ln(V) delta
      double probabilityTolerance = 2.01 * delta;
      double entropyTolerance = 2 * Math.log(ByteTokenizer.VOCAB_SIZE) * delta;
      for (int t = 0; t < continuation.length; t++) {
        assertThat(result.get("tokenIds").get(t).asLong()).isEqualTo(continuation[t]);
        assertThat(best.get("tokenIds").get(t).asLong()).isEqualTo(continuation[t]);
        assertThat(result.get("tokenLogProbs").get(t).asDouble()).as("item %d token %d", i, t)
            .isCloseTo(reference.logProb(i, t, continuation[t]), within(reference.logProbTolerance(i)));
        // the token's log-prob is its distribution's entry, in the same answer
        assertThat(Math.exp(result.get("tokenLogProbs").get(t).asDouble()))
            .isCloseTo(result.get("distributions").get(t).get("probabilities").get((int) continuation[t]).asDouble(), within(1e-15));
        JsonNode want = reference.distribution(i, t);
        JsonNode got = result.get("distributions").get(t);
        assertThat(got.get("probabilities").size()).isEqualTo(ByteTokenizer.VOCAB_SIZE);
        for (int id = 0; id < ByteTokenizer.VOCAB_SIZE; id++) {
          assertThat(got.get("probabilities").get(id).asDouble()).as("item %d position %d token %d", i, t, id)
              .isCloseTo(want.get("probabilities").get(id).asDouble(), within(probabilityTolerance));
        }
        assertThat(got.get("entropy").asDouble()).isCloseTo(want.get("entropy").asDouble(), within(entropyTolerance));
        assertThat(got.get("tailMass").asDouble()).isEqualTo(0.0);

        JsonNode gotTop = best.get("distributions").get(t);
        assertThat(gotTop.get("tokenIds").size()).isEqualTo(4);
        double listed = 0;
        for (int k = 0; k < 4; k++) {
          int id = gotTop.get("tokenIds").get(k).asInt();
          if (k > 0) {
            assertThat(gotTop.get("probabilities").get(k).asDouble()).isLessThanOrEqualTo(gotTop.get("probabilities").get(k - 1).asDouble());
          }
          // each listed probability is that token's entry in the full distribution
          assertThat(gotTop.get("probabilities").get(k).asDouble()).isCloseTo(got.get("probabilities").get(id).asDouble(),
              within(probabilityTolerance));
          listed += gotTop.get("probabilities").get(k).asDouble();
        }
        assertThat(gotTop.get("tailMass").asDouble()).isCloseTo(1 - listed, within(probabilityTolerance + 1e-12));
        assertThat(gotTop.get("entropy").asDouble()).isCloseTo(want.get("entropy").asDouble(), within(entropyTolerance));
      }
    }

    // gRPC: the same call answers the same doubles
    TokenDistributionsRequest.Builder request = TokenDistributionsRequest.newBuilder().setModel(LM);
    PAIRS.forEach(p -> request.addItems(ContinuationItem.newBuilder().setPrompt(p[0]).setContinuation(p[1])));
    TokenDistributionsResponse overGrpc = ScoringServiceGrpc.newBlockingStub(channel).tokenDistributions(request.build());
    assertThat(overGrpc.getVersion()).isEqualTo("1");
    assertThat(overGrpc.getResultsCount()).isEqualTo(PAIRS.size());
    for (int i = 0; i < PAIRS.size(); i++) {
      var item = overGrpc.getResults(i);
      JsonNode result = full.get("results").get(i);
      assertThat(item.getTokenIdsList()).containsExactlyElementsOf(
          java.util.Arrays.stream(bytes.encode(PAIRS.get(i)[1])).boxed().toList());
      assertThat(item.getPromptTokenCount()).isEqualTo(result.get("promptTokenCount").asInt());
      for (int t = 0; t < item.getTokenLogProbsCount(); t++) {
        // the same rows in the same requests; bounded as above rather than assumed bit-identical, since a
        // concurrent caller's request joining the dynamic batch would change the batch shape
        assertThat(item.getTokenLogProbs(t)).isCloseTo(result.get("tokenLogProbs").get(t).asDouble(),
            within(reference.logProbTolerance(i)));
        assertThat(item.getDistributions(t).getProbabilitiesCount()).isEqualTo(ByteTokenizer.VOCAB_SIZE);
      }
    }
  }

  /**
   * The one-forward-per-row path (all_logits, rows longest first in requests bounded by rows and
   * bytes) against the per-prefix path for every position, also when the byte bound sends long rows
   * to the per-prefix fallback and packs short ones several to a request. Seeded random rows.
   */
  @Test
  void positionLogitsEqualThePerPrefixLogitsWithAndWithoutTheFallback() {
    long seed = 611L;
    SplittableRandom random = new SplittableRandom(seed);
    int vocab = ByteTokenizer.VOCAB_SIZE;
    List<long[]> rows = new ArrayList<>();
    int[] from = new int[9];
    for (int i = 0; i < from.length; i++) {
      long[] row = new long[1 + random.nextInt(40)];
      row[0] = ByteTokenizer.BOS;
      for (int t = 1; t < row.length; t++) {
        row[t] = random.nextInt(256);
      }
      rows.add(row);
      from[i] = random.nextInt(row.length);
    }
    int longest = rows.stream().mapToInt(r -> r.length).max().orElseThrow();
    // 20 positions' worth: rows longer than 20 go per prefix, shorter ones share requests (the seed gives both)
    assertThat(rows).anySatisfy(r -> assertThat(r.length).isGreaterThan(20));
    assertThat(rows.stream().filter(r -> r.length <= 10).count()).isGreaterThanOrEqualTo(2);
    long smallBound = 20L * vocab * 4;
    List<float[]> whole = LanguageModelRows.positionLogits(triton, LM, "1", rows, from, 4, vocab, ByteTokenizer.PAD);
    List<float[]> bounded = LanguageModelRows.positionLogits(triton, LM, "1", rows, from, 4, vocab, ByteTokenizer.PAD, smallBound);
    dev.divergence.model.lm.LlamaConfig config = dev.divergence.model.lm.LlamaConfig.read(LM_DIR);
    for (int i = 0; i < rows.size(); i++) {
      long[] row = rows.get(i);
      List<long[]> prefixes = new ArrayList<>();
      for (int end = from[i] + 1; end <= row.length; end++) {
        prefixes.add(java.util.Arrays.copyOf(row, end));
      }
      float[] expected = LanguageModelRows.nextTokenLogits(triton, LM, "1", prefixes, 4, vocab, ByteTokenizer.PAD);
      // float32 forwards of the same rows differing in summation order (batch shape, padding up to the longest row)
      double tolerance = FloatTolerances.decoderLogits(config, longest, FloatTolerances.largestAbs(expected));
      for (List<float[]> actual : List.of(whole, bounded)) {
        assertThat(actual.get(i)).as("row %d (seed %d)", i, seed).hasSize(expected.length);
        for (int k = 0; k < expected.length; k++) {
          if (Math.abs(actual.get(i)[k] - expected[k]) > tolerance) {
            throw new AssertionError("seed " + seed + " row " + i + " " + java.util.Arrays.toString(row) + " from " + from[i]
                + ": position " + (from[i] + k / vocab) + " token " + (k % vocab) + ": " + actual.get(i)[k] + " vs per-prefix "
                + expected[k] + " (tolerance " + tolerance + ")");
          }
        }
      }
    }
  }

  /** The per-prefix path's next-token distributions of every continuation position, with the tolerances to compare them. */
  private PerPrefix perPrefix(List<String[]> pairs) throws Exception {
    ByteTokenizer bytes = new ByteTokenizer();
    List<String> prefixes = new ArrayList<>();
    List<Integer> firstPrefix = new ArrayList<>();
    double[] logitTolerance = new double[pairs.size()];
    int longest = pairs.stream().mapToInt(p -> bytes.encodeWithBos(p[0]).length + bytes.encode(p[1]).length).max().orElseThrow();
    try (NDManager m = manager.newSubManager(); LlamaModel model = LlamaModel.load(m, LM_DIR)) {
      for (int i = 0; i < pairs.size(); i++) {
        String[] pair = pairs.get(i);
        firstPrefix.add(prefixes.size());
        // byte-level and ASCII: the prefix text before continuation token t encodes to exactly those tokens
        for (int t = 0; t < pair[1].length(); t++) {
          prefixes.add(pair[0] + pair[1].substring(0, t));
        }
        long[] ids = java.util.stream.LongStream.concat(java.util.Arrays.stream(bytes.encodeWithBos(pair[0])),
            java.util.Arrays.stream(bytes.encode(pair[1]))).toArray();
        float[] logits = model.forward(m.create(ids, new Shape(1, ids.length)), null).toFloatArray();
        // Both service paths are float32 forwards of the same rows that differ only in summation order
        // (batch shape, padding up to the longest row of a request): each logit within
        // FloatTolerances.decoderLogits of the other, the positions term taken at the longest row
        logitTolerance[i] = FloatTolerances.decoderLogits(model.config(), longest, FloatTolerances.largestAbs(logits));
      }
    }
    HttpResponse<String> response = rest.post("/api/v1/inference/score/next-token", Map.of("model", LM, "prefixes", prefixes));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    return new PerPrefix(RestCalls.json(response).get("results"), firstPrefix, logitTolerance);
  }

  private record PerPrefix(JsonNode distributions, List<Integer> firstPrefix, double[] logitTolerances) {

    JsonNode distribution(int item, int position) {
      return distributions.get(firstPrefix.get(item) + position);
    }

    double logProb(int item, int position, long token) {
      return Math.log(distribution(item, position).get("probabilities").get((int) token).asDouble());
    }

    double logitTolerance(int item) {
      return logitTolerances[item];
    }

    /**
     * A log-softmax value moves by at most twice the largest logit change; plus the double
     * roundings of exp then log on the per-prefix side (relative 1e-15, far below).
     */
    double logProbTolerance(int item) {
      return 2 * logitTolerances[item] + 1e-12;
    }
  }

  @Test
  void nextTokenDistributionsEqualLibsModel() throws Exception {
    List<String> prefixes = List.of("12+7=", "The quick brown", "x");
    JsonNode full = RestCalls.json(rest.post("/api/v1/inference/score/next-token", Map.of("model", LM, "prefixes", prefixes)));
    JsonNode top = RestCalls.json(rest.post("/api/v1/inference/score/next-token",
        Map.of("model", LM, "prefixes", prefixes, "topK", 3)));
    ByteTokenizer bytes = new ByteTokenizer();
    try (NDManager m = manager.newSubManager(); LlamaModel model = LlamaModel.load(m, LM_DIR)) {
      for (int i = 0; i < prefixes.size(); i++) {
        long[] ids = bytes.encodeWithBos(prefixes.get(i));
        NDArray logits = model.forward(m.create(ids, new Shape(1, ids.length)), m.ones(new Shape(1, ids.length), ai.djl.ndarray.types.DataType.INT64));
        float[] last = logits.get(0, ids.length - 1).toFloatArray();
        double[] want = softmax(last);
        // Logits within delta (summation order only): each probability within p (e^{2 delta} - 1),
        // about 2 delta p <= 2 delta (2.01: e^{2 delta} - 1 exceeds 2 delta by 2 delta^2, and the
        // service forms p in float64); the entropy within delta * sum_j p_j |log p_j + H| <= 2 ln(V) delta
        double delta = FloatTolerances.decoderLogits(model.config(), ids.length, FloatTolerances.largestAbs(last));
        double probabilityTolerance = 2.01 * delta;
        double entropyTolerance = 2 * Math.log(want.length) * delta;
        double entropy = 0;
        for (double p : want) {
          entropy -= p > 0 ? p * Math.log(p) : 0;
        }
        JsonNode dist = full.get("results").get(i);
        assertThat(dist.get("probabilities").size()).isEqualTo(ByteTokenizer.VOCAB_SIZE);
        for (int id = 0; id < want.length; id++) {
          assertThat(dist.get("probabilities").get(id).asDouble()).isCloseTo(want[id], within(probabilityTolerance));
        }
        assertThat(dist.get("entropy").asDouble()).isCloseTo(entropy, within(entropyTolerance));
        assertThat(dist.get("tailMass").asDouble()).isEqualTo(0.0);

        JsonNode best = top.get("results").get(i);
        List<Integer> order = new ArrayList<>();
        for (int id = 0; id < want.length; id++) {
          order.add(id);
        }
        order.sort((a, b) -> Double.compare(want[b], want[a]));
        double listed = 0;
        for (int k = 0; k < 3; k++) {
          assertThat(best.get("tokenIds").get(k).asInt()).isEqualTo(order.get(k));
          assertThat(best.get("probabilities").get(k).asDouble()).isCloseTo(want[order.get(k)], within(probabilityTolerance));
          listed += want[order.get(k)];
        }
        // the tail: a sum of probabilities each within 2 delta p, so within 2 delta of its exact value
        assertThat(best.get("tailMass").asDouble()).isCloseTo(1 - listed, within(probabilityTolerance));
        assertThat(best.get("entropy").asDouble()).isCloseTo(entropy, within(entropyTolerance));
      }
    }
  }

  @Test
  void classifierProbabilitiesEqualLibsModel() throws Exception {
    SplittableRandom random = new SplittableRandom(7);
    int rows = 5;
    int dim = 30;
    float[] flat = new float[rows * dim];
    List<List<Float>> features = new ArrayList<>();
    for (int r = 0; r < rows; r++) {
      List<Float> row = new ArrayList<>();
      for (int c = 0; c < dim; c++) {
        flat[r * dim + c] = (float) (random.nextDouble() * 20);
        row.add(flat[r * dim + c]);
      }
      features.add(row);
    }
    HttpResponse<String> response = rest.post("/api/v1/inference/score/classify", Map.of("model", CLASSIFIER, "features", features));
    assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
    JsonNode body = RestCalls.json(response);
    try (NDManager m = manager.newSubManager(); Classifier classifier = Classifier.load(m, CLASSIFIER_DIR)) {
      NDArray input = m.create(flat, new Shape(rows, dim));
      float[] logits = classifier.logits(input).toFloatArray();
      // per row, the logits' summation-order bound; two classes: p = sigmoid(z1 - z0) moves by at most
      // |delta(z1 - z0)| / 4 <= (bound0 + bound1) / 4
      float[] bound = FloatTolerances.classifierLogits(m, classifier, input);
      List<String> names = classifier.spec().classNames();
      assertThat(body.get("classNames").size()).isEqualTo(names.size());
      for (int r = 0; r < rows; r++) {
        double[] want = softmax(java.util.Arrays.copyOfRange(logits, r * 2, r * 2 + 2));
        JsonNode result = body.get("results").get(r);
        // (+ 4 eps: a few float32 roundings where the probabilities themselves are formed)
        double probabilityTolerance = (bound[r * 2] + bound[r * 2 + 1]) / 4.0 + 4 * FloatTolerances.FLOAT32_EPS;
        assertThat(result.get("probabilities").get(0).asDouble()).isCloseTo(want[0], within(probabilityTolerance));
        assertThat(result.get("probabilities").get(1).asDouble()).isCloseTo(want[1], within(probabilityTolerance));
        assertThat(result.get("label").asString()).isEqualTo(names.get(want[1] > want[0] ? 1 : 0));
      }
    }
    List<Float> first = features.get(0);
    var overGrpc = ScoringServiceGrpc.newBlockingStub(channel).classify(ClassifyRequest.newBuilder().setModel(CLASSIFIER)
        .addFeatures(FeatureVector.newBuilder().addAllValues(first)).build());
    // the same double over both transports
    assertThat(overGrpc.getResults(0).getProbabilities(0)).isEqualTo(body.get("results").get(0).get("probabilities").get(0).asDouble());
  }

  @Test
  void badInputIsRejectedNamingTheField() throws Exception {
    String continuations = "/api/v1/inference/score/continuations";
    String nextToken = "/api/v1/inference/score/next-token";
    String classify = "/api/v1/inference/score/classify";
    rejected(continuations, Map.of("model", LM, "items", List.of()), 400, "items");
    rejected(continuations, Map.of("model", LM, "items", List.of(Map.of("prompt", "", "continuation", "x"),
        Map.of("prompt", "y", "continuation", ""))), 400, "items[0].prompt", "items[1].continuation");
    rejected(continuations, Map.of("model", LM, "items", List.of(Map.of("prompt", "z".repeat(200), "continuation", "x"))),
        400, "items[0]");
    rejected(continuations, Map.of("items", List.of(Map.of("prompt", "a", "continuation", "b"))), 400, "model");
    rejected(continuations, Map.of("model", CLASSIFIER, "items", List.of(Map.of("prompt", "a", "continuation", "b"))),
        400, "model");
    HttpResponse<String> unknown = rest.post(continuations, Map.of("model", "no-such-model",
        "items", List.of(Map.of("prompt", "a", "continuation", "b"))));
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.body()).contains("model 'no-such-model'");
    assertThat(unknown.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).contains("application/problem+json"));

    rejected(nextToken, Map.of("model", LM, "prefixes", List.of()), 400, "prefixes");
    rejected(nextToken, Map.of("model", LM, "prefixes", List.of("")), 400, "prefixes[0]");
    rejected(nextToken, Map.of("model", LM, "prefixes", List.of("a"), "topK", 0), 400, "topK");
    rejected(nextToken, Map.of("model", LM, "prefixes", List.of("a"), "topK", ByteTokenizer.VOCAB_SIZE + 1), 400, "topK");
    rejected(nextToken, Map.of("model", CLASSIFIER, "prefixes", List.of("a")), 400, "model");

    String tokens = "/api/v1/inference/score/token-distributions";
    rejected(tokens, Map.of("model", LM, "items", List.of()), 400, "items");
    rejected(tokens, Map.of("model", LM, "items", List.of(Map.of("prompt", "", "continuation", "x"),
        Map.of("prompt", "y", "continuation", ""))), 400, "items[0].prompt", "items[1].continuation");
    rejected(tokens, Map.of("model", LM, "items", List.of(Map.of("prompt", "z".repeat(200), "continuation", "x"))), 400, "items[0]");
    rejected(tokens, Map.of("model", LM, "items", java.util.Collections.nCopies(257, Map.of("prompt", "a", "continuation", "b"))),
        400, "items");
    rejected(tokens, Map.of("model", LM, "items", List.of(Map.of("prompt", "a", "continuation", "b")), "topK", 0), 400, "topK");
    rejected(tokens, Map.of("model", LM, "items", List.of(Map.of("prompt", "a", "continuation", "b")),
        "topK", ByteTokenizer.VOCAB_SIZE + 1), 400, "topK");
    rejected(tokens, Map.of("model", CLASSIFIER, "items", List.of(Map.of("prompt", "a", "continuation", "b"))), 400, "model");
    // 256 items of 100 continuation tokens: 25600 full distributions of 259 values, over the 2^21 per call
    HttpResponse<String> tooLarge = rest.post(tokens, Map.of("model", LM,
        "items", java.util.Collections.nCopies(256, Map.of("prompt", "a", "continuation", "q".repeat(100)))));
    assertThat(tooLarge.statusCode()).as(tooLarge.body()).isEqualTo(400);
    assertThat(tooLarge.body()).contains("\"field\":\"items\"").contains("6630400").contains("top k");
    // the same items with top k 5 are small enough
    assertThat(rest.post(tokens, Map.of("model", LM, "topK", 5,
        "items", java.util.Collections.nCopies(2, Map.of("prompt", "a", "continuation", "q".repeat(100))))).statusCode()).isEqualTo(200);
    assertThat(rest.post(tokens, Map.of("model", "no-such-model", "items", List.of(Map.of("prompt", "a", "continuation", "b"))))
        .statusCode()).isEqualTo(404);

    rejected(classify, Map.of("model", CLASSIFIER, "features", List.of()), 400, "features");
    rejected(classify, Map.of("model", CLASSIFIER, "features", List.of(List.of(1.0f, 2.0f))), 400, "features[0]");
    rejected(classify, Map.of("model", LM, "features", List.of(List.of(1.0f))), 400, "model");
    assertThat(rest.post(classify, Map.of("model", "no-such-model", "features", List.of(List.of(1.0f)))).statusCode())
        .isEqualTo(404);
  }

  @Test
  void grpcRejectsBadInputWithTheStatusCodes() {
    var scoring = ScoringServiceGrpc.newBlockingStub(channel);
    assertCode(() -> scoring.scoreContinuations(ScoreContinuationsRequest.newBuilder().setModel(LM).build()),
        Status.Code.INVALID_ARGUMENT, "items");
    assertCode(() -> scoring.scoreContinuations(ScoreContinuationsRequest.newBuilder().setModel("no-such-model")
        .addItems(ContinuationItem.newBuilder().setPrompt("a").setContinuation("b")).build()), Status.Code.NOT_FOUND, "model");
    assertCode(() -> scoring.nextTokenDistributions(NextTokenDistributionsRequest.newBuilder().setModel(LM)
        .addPrefixes("a").setTopK(-1).build()), Status.Code.INVALID_ARGUMENT, "top_k");
    assertCode(() -> scoring.tokenDistributions(TokenDistributionsRequest.newBuilder().setModel(LM).build()),
        Status.Code.INVALID_ARGUMENT, "items");
    assertCode(() -> scoring.tokenDistributions(TokenDistributionsRequest.newBuilder().setModel(LM)
        .addItems(ContinuationItem.newBuilder().setPrompt("a").setContinuation("b")).setTopK(-1).build()),
        Status.Code.INVALID_ARGUMENT, "top_k");
    assertCode(() -> scoring.tokenDistributions(TokenDistributionsRequest.newBuilder().setModel(LM)
        .addItems(ContinuationItem.newBuilder().setPrompt("a")).build()), Status.Code.INVALID_ARGUMENT, "items[0].continuation");
    assertCode(() -> scoring.tokenDistributions(TokenDistributionsRequest.newBuilder().setModel("no-such-model")
        .addItems(ContinuationItem.newBuilder().setPrompt("a").setContinuation("b")).build()), Status.Code.NOT_FOUND, "model");
    assertCode(() -> scoring.classify(ClassifyRequest.newBuilder().setModel(LM)
        .addFeatures(FeatureVector.newBuilder().addValues(1f)).build()), Status.Code.INVALID_ARGUMENT, "model");
    assertCode(() -> scoring.classify(ClassifyRequest.newBuilder().setModel(CLASSIFIER)
        .addFeatures(FeatureVector.newBuilder().addValues(1f)).build()), Status.Code.INVALID_ARGUMENT, "features[0]");

    var models = ModelServiceGrpc.newBlockingStub(channel);
    assertThat(models.listModels(ListModelsRequest.getDefaultInstance()).getModelsList())
        .anySatisfy(m -> {
          assertThat(m.getName()).isEqualTo(LM);
          assertThat(m.getState()).isEqualTo(ServingState.SERVING_STATE_READY);
          assertThat(m.getTritonModelsList()).containsExactly(LM, LM + "__decode");
        });
    assertCode(() -> models.getModel(GetModelRequest.newBuilder().setName("no-such-model").build()), Status.Code.NOT_FOUND, "model");
  }

  private void rejected(String path, Object body, int status, String... fields) throws Exception {
    HttpResponse<String> response = rest.post(path, body);
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    for (String field : fields) {
      assertThat(response.body()).contains("\"field\":\"" + field + "\"");
    }
  }

  private static void assertCode(Runnable call, Status.Code code, String mentioned) {
    assertThatThrownBy(call::run).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
      assertThat(e.getStatus().getCode()).isEqualTo(code);
      assertThat(e.getStatus().getDescription()).contains(mentioned);
    });
  }

  private static double[] softmax(float[] logits) {
    double max = Double.NEGATIVE_INFINITY;
    for (float l : logits) {
      max = Math.max(max, l);
    }
    double sum = 0;
    double[] out = new double[logits.length];
    for (int i = 0; i < logits.length; i++) {
      out[i] = Math.exp(logits[i] - max);
      sum += out[i];
    }
    for (int i = 0; i < out.length; i++) {
      out[i] /= sum;
    }
    return out;
  }
}
