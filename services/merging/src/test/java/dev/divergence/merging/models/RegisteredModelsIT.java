package dev.divergence.merging.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.merging.config.MergingProperties;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.Parameters;
import dev.divergence.model.assets.Datasets;
import dev.divergence.model.assets.LabeledData;
import dev.divergence.model.assets.TinyAssets;
import dev.divergence.model.classifier.Classifier;
import dev.divergence.model.classifier.ClassifierSpec;
import dev.divergence.platform.errors.GrpcStatusMapper;
import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.platform.test.EmbeddedInfrastructure;
import dev.divergence.proto.merging.v1.ExportMergeRequest;
import dev.divergence.proto.merging.v1.ExportedMerge;
import dev.divergence.proto.merging.v1.MergingServiceGrpc;
import dev.divergence.proto.training.v1.Model;
import dev.divergence.proto.training.v1.RegisterModelRequest;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Merges of models of the registry (a real gRPC ModelRegistryService, {@link TestModelRegistry}): a
 * registered expert is looked up, loaded from its folder and pinned to its version; unknown, malformed
 * and non-classifier references are 400 naming the field, the registry out of reach 503; a WiSE-FT merge
 * exported to the registry predicts what the merge predicts, and per-sample methods cannot be exported.
 */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    properties = {"divergence.grpc.port=0", "divergence.merging.data-dir=target/merging-test-data",
        "divergence.merging.built-in-classifier-steps=40"})
class RegisteredModelsIT {

  private static final double U = Math.pow(2, -24);
  private static final Path DATA = Path.of("target/merging-test-data");

  @LocalServerPort int port;
  @Autowired GrpcServerLifecycle grpc;
  @Autowired MergingProperties properties;
  private final HttpClient http = HttpClient.newHttpClient();
  private final JsonMapper json = JsonMapper.builder().build();
  private final TestModelRegistry registry = TestModelRegistry.shared();
  private ManagedChannel channel;
  private MergingServiceGrpc.MergingServiceBlockingStub merging;

  @DynamicPropertySource
  static void registry(DynamicPropertyRegistry properties) {
    properties.add("divergence.clients.training.target", () -> TestModelRegistry.shared().target());
    // answers within the test's patience when the registry is made to fail (retries included)
    properties.add("divergence.clients.training.deadline", () -> "10s");
  }

  @BeforeEach
  void connect() {
    channel = ManagedChannelBuilder.forAddress("localhost", grpc.port()).usePlaintext().build();
    merging = MergingServiceGrpc.newBlockingStub(channel).withDeadlineAfter(120, TimeUnit.SECONDS);
    registry.failWith(null);
  }

  @AfterEach
  void disconnect() {
    registry.failWith(null);
    channel.shutdownNow();
  }

  /** A unique registry name per test run: the shared registry outlives one test. */
  private static String unique(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  /**
   * The built-in folder the service made (a merge of the pair makes both): the same 40-step model the
   * test registers under another name, as a training job's output would be.
   */
  private Path builtInFolder(String name) throws Exception {
    HttpResponse<String> made = post("/api/v1/merging/merges", Map.of("generalist", TinyAssets.DIGITS_GENERALIST,
        "expert", TinyAssets.DIGITS_EXPERT, "method", "expert"));
    assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE)) {
      return new TinyAssets(properties.dataDir(), new TinyAssets.Budget(1, properties.builtInClassifierSteps())).ensure(m, name);
    }
  }

  @Test
  void aRegisteredExpertIsLookedUpLoadedAndPinnedToItsVersion() throws Exception {
    String expertName = unique("digits-sft");
    registry.register(expertName, builtInFolder(TinyAssets.DIGITS_EXPERT));
    HttpResponse<String> created = post("/api/v1/merging/merges", Map.of("generalist", TinyAssets.DIGITS_GENERALIST,
        "expert", expertName, "method", "t3", "parameters", Map.of("gamma", 4.0)));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    JsonNode merge = json.readTree(created.body());
    assertThat(merge.get("generalist").asString()).isEqualTo(TinyAssets.DIGITS_GENERALIST);
    assertThat(merge.get("expert").asString()).isEqualTo(expertName + ":1");
    String mergeId = merge.get("mergeId").asString();

    // a newer version (other weights) does not change the merge: it keeps the version it was created with
    registry.register(expertName, builtInFolder(TinyAssets.DIGITS_GENERALIST));
    assertThat(json.readTree(get("/api/v1/merging/merges/" + mergeId).body()).get("expert").asString()).isEqualTo(expertName + ":1");
    JsonNode latest = json.readTree(post("/api/v1/merging/merges", Map.of("generalist", TinyAssets.DIGITS_GENERALIST,
        "expert", expertName, "method", "expert")).body());
    assertThat(latest.get("expert").asString()).isEqualTo(expertName + ":2");

    // the merge with the registered copy of the built-in expert predicts as the merge with the built-in itself:
    // the same weights, the same float32 operations, so the same bits
    float[][] rows = digitsTest(12);
    String builtInMerge = json.readTree(post("/api/v1/merging/merges", Map.of("generalist", TinyAssets.DIGITS_GENERALIST,
        "expert", TinyAssets.DIGITS_EXPERT, "method", "t3", "parameters", Map.of("gamma", 4.0))).body()).get("mergeId").asString();
    JsonNode registered = json.readTree(post("/api/v1/merging/merges/" + mergeId + "/predict", Map.of("inputs", rows)).body());
    JsonNode builtIn = json.readTree(post("/api/v1/merging/merges/" + builtInMerge + "/predict", Map.of("inputs", rows)).body());
    assertThat(registered.get("predictions")).isEqualTo(builtIn.get("predictions"));

    // built-in version 1 is the built-in; an experiment pins a registered model as a merge does
    HttpResponse<String> experiment = post("/api/v1/merging/experiments", Map.of("spec", Map.of("generalist",
        TinyAssets.DIGITS_GENERALIST + ":1", "expert", expertName, "seeds", 1)));
    assertThat(experiment.statusCode()).as(experiment.body()).isEqualTo(201);
    assertThat(json.readTree(experiment.body()).at("/spec/expert").asString()).isEqualTo(expertName + ":2");
  }

  @Test
  void unknownMalformedAndIncompatibleModelsAreRejectedNamingTheField() throws Exception {
    Map<String, Object> valid = Map.of("generalist", TinyAssets.DIGITS_GENERALIST, "expert", TinyAssets.DIGITS_EXPERT, "method", "t3");
    HttpResponse<String> unknown = post("/api/v1/merging/merges", with(valid, "expert", unique("no-such-model")));
    assertProblem(unknown, 400, "expert");
    assertThat(json.readTree(unknown.body()).get("detail").asString()).contains("unknown model").contains("registry");
    assertProblem(post("/api/v1/merging/merges", with(valid, "generalist", unique("no-such-model"))), 400, "generalist");
    assertProblem(post("/api/v1/merging/merges", with(valid, "generalist", "Not A Model")), 400, "generalist");
    assertProblem(post("/api/v1/merging/merges", with(valid, "expert", "digits:0")), 400, "expert");
    String name = unique("digits-sft");
    registry.register(name, builtInFolder(TinyAssets.DIGITS_EXPERT));
    assertProblem(post("/api/v1/merging/merges", with(valid, "expert", name + ":7")), 400, "expert");

    // a registered language model is no classifier
    Path lm = Files.createDirectories(Path.of("target", "registry-sources", UUID.randomUUID().toString()));
    Files.writeString(lm.resolve("config.json"), "{\"model_type\": \"llama\", \"vocab_size\": 32}");
    String lmName = unique("tiny-lm-copy");
    registry.register(lmName, lm);
    HttpResponse<String> notClassifier = post("/api/v1/merging/merges", with(valid, "expert", lmName));
    assertProblem(notClassifier, 400, "expert");
    assertThat(notClassifier.body()).contains("not a classifier");

    // a registered breast-cancer MLP against the digits CNN: one architecture is required
    String mlp = unique("cancer-student");
    registry.register(mlp, builtInFolder(TinyAssets.CANCER_STUDENT));
    assertProblem(post("/api/v1/merging/merges", with(valid, "expert", mlp)), 400, "expert.model_type");

    HttpResponse<String> experiment = post("/api/v1/merging/experiments", Map.of("spec", Map.of("generalist",
        TinyAssets.DIGITS_GENERALIST, "expert", unique("no-such-model"))));
    assertProblem(experiment, 400, "spec.expert");
  }

  @Test
  void theRegistryOutOfReachIs503WhileBuiltInsStillWork() throws Exception {
    String name = unique("digits-sft");
    registry.register(name, builtInFolder(TinyAssets.DIGITS_EXPERT));
    registry.failWith(Status.UNAVAILABLE.withDescription("training is down"));
    HttpResponse<String> down = post("/api/v1/merging/merges", Map.of("generalist", TinyAssets.DIGITS_GENERALIST,
        "expert", name + "-other", "method", "t3"));
    assertThat(down.statusCode()).as(down.body()).isEqualTo(503);
    assertThat(down.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).contains("application/problem+json"));
    assertThat(json.readTree(down.body()).get("detail").asString()).contains("model registry").contains("UNAVAILABLE");
    HttpResponse<String> builtIns = post("/api/v1/merging/merges", Map.of("generalist", TinyAssets.DIGITS_GENERALIST,
        "expert", TinyAssets.DIGITS_EXPERT, "method", "t3"));
    assertThat(builtIns.statusCode()).as(builtIns.body()).isEqualTo(201);
    assertThatThrownBy(() -> merging.exportMerge(ExportMergeRequest.newBuilder()
        .setMergeId(createWiseFt(TinyAssets.DIGITS_EXPERT, 0.5)).setName(unique("soup")).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            error -> assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  /**
   * Export of a WiSE-FT merge at alpha 0.3: the registered folder holds (1 - alpha) theta_g + alpha theta_e,
   * its lineage names both parents and the method, and it predicts what the merge predicts.
   *
   * <p>Tolerances. Weights: float32 evaluates w_g a + w_e b with the two weights rounded to float32, two
   * products and a sum, each rounding at most u = 2^-24 relative to the magnitudes involved, so
   * |exported - float64 reference| <= 5 u (|w_g a| + |w_e b|) (two roundings of each product's factors
   * and its result, one of the sum). Predictions: the merge predicts with the same merged weights made by
   * the same call, so the two forwards differ at most in the summation order of each layer's n_l-term
   * accumulations: |Δ logit| <= sum_l 2 n_l u A (A the forward of max(|W_g|, |W_e|) on |x|, which bounds
   * every propagated sum of |terms|; ReLU is 1-Lipschitz), and |Δ p| <= |Δ logit| / 2 (as in PerSampleMergeTest).
   */
  @Test
  void aWiseFtMergeExportedToTheRegistryPredictsAsTheMerge() throws Exception {
    String expertName = unique("digits-sft");
    registry.register(expertName, builtInFolder(TinyAssets.DIGITS_EXPERT));
    double alpha = 0.3;
    String mergeId = createWiseFt(expertName, alpha);
    String exportName = unique("digits-wise-ft");
    HttpResponse<String> exported = post("/api/v1/merging/merges/" + mergeId + "/export", Map.of("name", exportName));
    assertThat(exported.statusCode()).as(exported.body()).isEqualTo(201);
    JsonNode export = json.readTree(exported.body());
    assertThat(export.get("model").asString()).isEqualTo(exportName + ":1");
    assertThat(export.get("architecture").asString()).isEqualTo("cnn");
    assertThat(exported.headers().firstValue("Location")).hasValue("/api/v1/training/models/" + exportName + ":1");

    RegisterModelRequest request = registry.registrations().stream().filter(r -> r.getName().equals(exportName)).findFirst().orElseThrow();
    assertThat(request.getMergedFrom().getGeneralist()).isEqualTo(TinyAssets.DIGITS_GENERALIST);
    assertThat(request.getMergedFrom().getExpert()).isEqualTo(expertName + ":1");
    assertThat(request.getBaseModel()).isEqualTo(TinyAssets.DIGITS_GENERALIST);
    assertThat(request.getMetadataMap()).containsEntry("merge.method", "wise_ft").containsEntry("merge.id", mergeId);
    assertThat(request.getMetricsMap()).containsEntry("merge.alpha", alpha);
    assertThat(Path.of(request.getPath())).isEqualTo(properties.dataDir().resolve("exports").resolve(mergeId).resolve(exportName));

    // the same merge under the same name again: the first registration, over REST and gRPC
    assertThat(json.readTree(post("/api/v1/merging/merges/" + mergeId + "/export", Map.of("name", exportName)).body()).get("model")
        .asString()).isEqualTo(exportName + ":1");
    ExportedMerge overGrpc = merging.exportMerge(ExportMergeRequest.newBuilder().setMergeId(mergeId).setName(exportName).build());
    assertThat(overGrpc.getModel()).isEqualTo(exportName + ":1");

    float[][] rows = digitsTest(32);
    JsonNode predicted = json.readTree(post("/api/v1/merging/merges/" + mergeId + "/predict", Map.of("inputs", rows)).body())
        .get("predictions");
    Path registeredDir = Path.of(URI.create(registry.find(exportName + ":1").getUri()));
    DjlRuntime.configure(properties.dataDir().resolve("djl"));
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE)) {
      Classifier exportedModel = Classifier.load(m, registeredDir);
      TinyAssets assets = new TinyAssets(properties.dataDir(), new TinyAssets.Budget(1, properties.builtInClassifierSteps()));
      Classifier g = Classifier.load(m, assets.ensure(m, TinyAssets.DIGITS_GENERALIST));
      Classifier e = Classifier.load(m, assets.ensure(m, TinyAssets.DIGITS_EXPERT));
      for (String tensor : g.parameters().asMap().keySet()) {
        float[] a = g.parameters().get(tensor).toFloatArray();
        float[] b = e.parameters().get(tensor).toFloatArray();
        float[] merged = exportedModel.parameters().get(tensor).toFloatArray();
        for (int i = 0; i < a.length; i++) {
          double reference = (1 - alpha) * a[i] + alpha * b[i];
          double tol = 5 * U * (Math.abs((1 - alpha) * a[i]) + Math.abs(alpha * b[i]));
          assertTrue(Math.abs(merged[i] - reference) <= tol, tensor + "[" + i + "]: " + merged[i] + " vs " + reference + ", bound " + tol);
        }
      }
      NDArray x = m.create(flatten(rows), new Shape(rows.length, rows[0].length));
      double[][] logits = rows(exportedModel.logits(x));
      double[][] bound = rows(absoluteForward(m, g, e, x.abs()));
      // fan-ins of the digits CNN: conv1 1x3x3, conv2 8x3x3, head 16 x 4 x 4
      double stages = 2.0 * (9 + 72 + 256);
      double measured = 0;
      for (int i = 0; i < rows.length; i++) {
        double[] p = softmax(logits[i]);
        double maxLogitTol = 0;
        for (double b : bound[i]) {
          maxLogitTol = Math.max(maxLogitTol, stages * U * b);
        }
        JsonNode sample = predicted.get(i);
        for (int c = 0; c < p.length; c++) {
          double viaMerge = sample.get("probabilities").get(c).asDouble();
          assertTrue(Math.abs(p[c] - viaMerge) <= maxLogitTol / 2, "sample " + i + " class " + c + ": registered " + p[c]
              + " vs merge " + viaMerge + ", bound " + maxLogitTol / 2);
          measured = Math.max(measured, Math.abs(p[c] - viaMerge));
        }
      }
      System.out.printf("exported WiSE-FT vs merge: max |Δ p| %.3g%n", measured);
    }
  }

  @Test
  void perSampleMergesAndBadNamesCannotBeExported() throws Exception {
    String t3 = json.readTree(post("/api/v1/merging/merges", Map.of("generalist", TinyAssets.DIGITS_GENERALIST,
        "expert", TinyAssets.DIGITS_EXPERT, "method", "t3")).body()).get("mergeId").asString();
    for (String method : List.of("t3", "t3_batch", "dawin", "confidence", "ensemble")) {
      String id = method.equals("t3") ? t3 : json.readTree(post("/api/v1/merging/merges", Map.of("generalist",
          TinyAssets.DIGITS_GENERALIST, "expert", TinyAssets.DIGITS_EXPERT, "method", method)).body()).get("mergeId").asString();
      HttpResponse<String> refused = post("/api/v1/merging/merges/" + id + "/export", Map.of("name", unique("x")));
      assertProblem(refused, 400, "method");
      assertThat(json.readTree(refused.body()).get("detail").asString()).contains("no single weight set");
    }
    assertThatThrownBy(() -> merging.exportMerge(ExportMergeRequest.newBuilder().setMergeId(t3).setName("x").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, error -> {
          assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
          assertThat(error.getTrailers().get(GrpcStatusMapper.INVALID_FIELDS)).isEqualTo("method");
        });
    String wise = createWiseFt(TinyAssets.DIGITS_EXPERT, 0.5);
    assertProblem(post("/api/v1/merging/merges/" + wise + "/export", Map.of()), 400, "name");
    assertProblem(post("/api/v1/merging/merges/" + wise + "/export", Map.of("name", "Bad Name")), 400, "name");
    assertThat(post("/api/v1/merging/merges/" + UUID.randomUUID() + "/export", Map.of("name", "x")).statusCode()).isEqualTo(404);
    assertProblem(post("/api/v1/merging/merges/not-a-uuid/export", Map.of("name", "x")), 400, "merge_id");
  }

  private String createWiseFt(String expert, double alpha) throws Exception {
    HttpResponse<String> created = post("/api/v1/merging/merges", Map.of("generalist", TinyAssets.DIGITS_GENERALIST,
        "expert", expert, "method", "wise_ft", "parameters", Map.of("alpha", alpha)));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    return json.readTree(created.body()).get("mergeId").asString();
  }

  private static float[][] digitsTest(int n) {
    LabeledData test = Datasets.digits().split(0.8, 1)[1];
    float[][] rows = new float[n][];
    for (int i = 0; i < n; i++) {
      rows[i] = test.features()[i];
    }
    return rows;
  }

  /** Forward of max(|W_g|, |W_e|) on |x|: bounds the sums of |terms| along the whole path. */
  private static NDArray absoluteForward(NDManager m, Classifier g, Classifier e, NDArray absX) {
    Parameters abs = new Parameters(m);
    for (String name : g.parameters().asMap().keySet()) {
      abs.put(name, g.parameters().get(name).abs().maximum(e.parameters().get(name).abs()));
    }
    ClassifierSpec spec = g.spec();
    return new Classifier(spec, abs).logits(absX);
  }

  private static double[][] rows(NDArray matrix) {
    long[] shape = matrix.getShape().getShape();
    float[] flat = matrix.toFloatArray();
    double[][] out = new double[(int) shape[0]][(int) shape[1]];
    for (int i = 0; i < out.length; i++) {
      for (int j = 0; j < out[i].length; j++) {
        out[i][j] = flat[i * out[i].length + j];
      }
    }
    return out;
  }

  private static double[] softmax(double[] z) {
    double max = Double.NEGATIVE_INFINITY;
    for (double v : z) {
      max = Math.max(max, v);
    }
    double s = 0;
    double[] p = new double[z.length];
    for (int i = 0; i < z.length; i++) {
      p[i] = Math.exp(z[i] - max);
      s += p[i];
    }
    for (int i = 0; i < z.length; i++) {
      p[i] /= s;
    }
    return p;
  }

  private static float[] flatten(float[][] x) {
    float[] flat = new float[x.length * x[0].length];
    for (int i = 0; i < x.length; i++) {
      System.arraycopy(x[i], 0, flat, i * x[0].length, x[0].length);
    }
    return flat;
  }

  private static Map<String, Object> with(Map<String, Object> base, String key, Object value) {
    Map<String, Object> copy = new java.util.LinkedHashMap<>(base);
    copy.put(key, value);
    return copy;
  }

  private HttpResponse<String> post(String path, Object body) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json.writeValueAsString(body))).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  private void assertProblem(HttpResponse<String> response, int status, String field) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(v -> assertThat(v).contains("application/problem+json"));
    JsonNode problem = json.readTree(response.body());
    List<String> fields = new ArrayList<>();
    problem.get("errors").forEach(error -> fields.add(error.get("field").asString()));
    assertThat(fields).as(response.body()).contains(field);
  }
}
