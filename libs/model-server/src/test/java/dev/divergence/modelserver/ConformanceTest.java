package dev.divergence.modelserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.google.protobuf.ByteString;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.assets.TinyAssets;
import dev.divergence.model.classifier.Classifier;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.modelserver.client.ClientOptions;
import dev.divergence.modelserver.client.InferParameters;
import dev.divergence.modelserver.client.InferRequest;
import dev.divergence.modelserver.client.InferResult;
import dev.divergence.modelserver.client.TritonClient;
import dev.divergence.modelserver.repository.RepositoryWriter;
import dev.divergence.modelserver.tensor.Tensor;
import dev.divergence.modelserver.tensor.TensorType;
import dev.divergence.proto.triton.DataType;
import dev.divergence.proto.triton.InferTensorContents;
import dev.divergence.proto.triton.ModelConfig;
import dev.divergence.proto.triton.ModelDynamicBatching;
import dev.divergence.proto.triton.ModelSequenceBatching;
import dev.divergence.proto.triton.ModelInferRequest;
import dev.divergence.proto.triton.ModelMetadataResponse;
import dev.divergence.proto.triton.ModelStatistics;
import dev.divergence.proto.triton.ModelStreamInferResponse;
import dev.divergence.proto.triton.RepositoryIndexResponse.ModelIndex;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The Triton client against the embedded server over a real socket: every RPC, every datatype,
 * and the error codes Triton answers with. Models are libs/model's deterministic tiny assets.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConformanceTest {

    private static final String CANCER = "cancer";
    private static final String CANCER_HALF = "cancer-half";
    private static final String LM = "tiny-lm";
    private static final String LM_INT32 = "tiny-lm-int32";
    private static final String BROKEN = "broken";
    private static final String CANCER_BATCHED = "cancer-batched";
    private static final String LM_BATCHED = "tiny-lm-batched";
    private static final String LM_SEQUENCES = "tiny-lm-sequences";
    /** A batch this wide makes a logits response larger than gRPC's default 4 MiB limit. */
    private static final String LM_WIDE = "tiny-lm-wide";
    private static final int WIDE_BATCH = 4500;
    private static final int MAX_BATCH = 4;

    private Path repository;

    private NDManager manager;
    private Path cancerDir;
    private Path lmDir;
    private ModelConfig cancerConfig;
    private ModelServer server;
    private TritonClient client;
    private float[][] cancerRows;
    /** Concurrent callers for the batching tests (the common pool has one thread on two cores). */
    private final java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newFixedThreadPool(4);

    @BeforeAll
    void startServer() throws java.io.IOException {
        Files.createDirectories(Path.of("target/tmp"));
        repository = Files.createTempDirectory(Path.of("target/tmp"), "model-repository-");
        DjlRuntime.configure(Path.of("target/djl-cache"));
        manager = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
        TinyAssets assets = new TinyAssets(Path.of("target/tiny-assets"), new TinyAssets.Budget(40, 30));
        cancerDir = assets.ensure(manager, TinyAssets.CANCER_STUDENT);
        lmDir = assets.ensure(manager, TinyAssets.TINY_LM);

        RepositoryWriter writer = new RepositoryWriter(repository);
        cancerConfig = RepositoryWriter.classifierConfig(CANCER, cancerDir, MAX_BATCH);
        writer.write(cancerConfig, 1, cancerDir);
        writer.write(cancerConfig.toBuilder().setName(CANCER_HALF)
                .setInput(0, cancerConfig.getInput(0).toBuilder().setDataType(DataType.TYPE_FP16))
                .setOutput(0, cancerConfig.getOutput(0).toBuilder().setDataType(DataType.TYPE_BF16)).build(), 1, cancerDir);
        ModelConfig lmConfig = RepositoryWriter.languageModelConfig(LM, lmDir, MAX_BATCH);
        writer.write(lmConfig, 1, lmDir);
        writer.write(lmConfig.toBuilder().setName(LM_INT32)
                .setInput(0, lmConfig.getInput(0).toBuilder().setDataType(DataType.TYPE_INT32))
                .setInput(1, lmConfig.getInput(1).toBuilder().setDataType(DataType.TYPE_BOOL)).build(), 1, lmDir);
        // declares 31 features for a 30-feature model: must fail to load, with the reason in the index
        writer.write(cancerConfig.toBuilder().setName(BROKEN)
                .setInput(0, cancerConfig.getInput(0).toBuilder().setDims(0, 31)).build(), 1, cancerDir);

        // a long delay so that concurrent requests surely meet; the preferred size releases them early
        ModelDynamicBatching batching = ModelDynamicBatching.newBuilder().setMaxQueueDelayMicroseconds(2_000_000).addPreferredBatchSize(MAX_BATCH).build();
        writer.write(cancerConfig.toBuilder().setName(CANCER_BATCHED).setDynamicBatching(batching).build(), 1, cancerDir);
        writer.write(lmConfig.toBuilder().setName(LM_BATCHED).setDynamicBatching(batching).build(), 1, lmDir);

        writer.write(lmConfig.toBuilder().setName(LM_SEQUENCES).setSequenceBatching(
                ModelSequenceBatching.newBuilder().setMaxSequenceIdleMicroseconds(300_000)).build(), 1, lmDir);

        writer.write(lmConfig.toBuilder().setName(LM_WIDE).setMaxBatchSize(WIDE_BATCH).build(), 1, lmDir);

        server = ModelServer.start(repository, "127.0.0.1", new ModelServer.Ports(0, 0, 0),
                List.of(CANCER, CANCER_HALF, LM, LM_INT32, CANCER_BATCHED, LM_BATCHED, LM_SEQUENCES, LM_WIDE));
        client = TritonClient.connect("127.0.0.1:" + server.port(), ClientOptions.defaults().withDeadline(Duration.ofSeconds(20)));
        cancerRows = new float[][] {sampleFeatures(1), sampleFeatures(2), sampleFeatures(3)};
    }

    @AfterAll
    void stopServer() {
        callers.shutdownNow();
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
        if (manager != null) {
            manager.close();
        }
    }

    @Test
    void healthAndServerMetadata() throws InterruptedException {
        assertThat(client.awaitModelReady(CANCER, "1", Duration.ofSeconds(5))).isTrue();
        assertThat(client.serverLive()).isTrue();
        assertThat(client.serverReady()).isTrue();
        assertThat(client.modelReady(CANCER, "")).isTrue();
        assertThat(client.modelReady(CANCER, "1")).isTrue();
        assertThat(client.modelReady(CANCER, "2")).isFalse();
        assertThat(client.modelReady("no-such-model", "")).isFalse();
        assertThat(client.serverMetadata().getExtensionsList()).contains("model_repository", "statistics");
    }

    @Test
    void modelMetadataAndConfig() {
        ModelMetadataResponse metadata = client.modelMetadata(CANCER, "");
        assertThat(metadata.getVersionsList()).containsExactly("1");
        assertThat(metadata.getInputs(0).getName()).isEqualTo("features");
        assertThat(metadata.getInputs(0).getDatatype()).isEqualTo("FP32");
        assertThat(metadata.getInputs(0).getShapeList()).containsExactly(-1L, 30L);
        assertThat(metadata.getOutputsList()).extracting(ModelMetadataResponse.TensorMetadata::getDatatype).containsExactly("FP32", "BYTES");
        assertThat(client.modelMetadata(CANCER_HALF, "1").getInputs(0).getDatatype()).isEqualTo("FP16");
        assertThat(client.modelConfig(CANCER, "")).isEqualTo(cancerConfig);
    }

    @Test
    void classifierFp32MatchesLibsModelAndLabelsAreItsArgmax() {
        InferResult result = client.infer(InferRequest.to(CANCER).id("req-1").input("features", features(cancerRows)));
        assertThat(result.id()).isEqualTo("req-1");
        assertThat(result.version()).isEqualTo("1");
        Tensor logits = result.output("logits");
        assertThat(logits.type()).isEqualTo(TensorType.FP32);
        assertThat(logits.shape()).containsExactly(3, 2);
        float[] expected = directClassifierLogits(cancerRows);
        assertThat(logits.toFloats()).containsExactly(expected, within(1e-5f));
        List<byte[]> labels = result.output("labels").toByteElements();
        assertThat(result.output("labels").shape()).containsExactly(3, 1);
        List<String> classNames = dev.divergence.model.classifier.ClassifierSpec.read(cancerDir).classNames();
        for (int row = 0; row < 3; row++) {
            int best = expected[row * 2 + 1] > expected[row * 2] ? 1 : 0;
            String name = classNames.isEmpty() ? Integer.toString(best) : classNames.get(best);
            assertThat(new String(labels.get(row), StandardCharsets.UTF_8)).isEqualTo(name);
        }
    }

    @Test
    void typedAndRawContentsGiveBitIdenticalOutputs() {
        InferRequest request = InferRequest.to(CANCER).input("features", features(cancerRows)).output("logits");
        ByteString raw = client.infer(request.toProto()).getRawOutputContents(0);
        ByteString typed = client.infer(request.toTypedProto()).getRawOutputContents(0);
        assertThat(typed).isEqualTo(raw);
        // the client's decode and re-encode reproduces the server's bytes exactly
        InferResult decoded = InferResult.from(client.infer(request.toProto()));
        assertThat(Tensor.fp32(new long[] {3, 2}, decoded.output("logits").toFloats()).raw()).isEqualTo(raw);
    }

    @Test
    void fp16InputsAndBf16OutputsTravelRawAndAgreeWithFp32() {
        InferResult half = client.infer(InferRequest.to(CANCER_HALF).input("features", Tensor.fp16(new long[] {3, 30}, flatten(cancerRows))));
        Tensor logits = half.output("logits");
        assertThat(logits.type()).isEqualTo(TensorType.BF16);
        assertThat(logits.raw().size()).isEqualTo(3 * 2 * 2);
        // The FP16 model widens its inputs exactly and runs the FP32 model; so the same rows rounded to
        // FP16 (by the JDK's IEEE conversion, not the server's) and sent to the FP32 model give the FP32
        // logits v it computed (same shapes, same kernels: the calls are bit-identical, as
        // typedAndRawContentsGiveBitIdenticalOutputs relies on too).
        float[] rounded = flatten(cancerRows);
        int changed = 0;
        for (int i = 0; i < rounded.length; i++) {
            float r = Float.float16ToFloat(Float.floatToFloat16(rounded[i]));
            changed += r != rounded[i] ? 1 : 0;
            rounded[i] = r;
        }
        assertThat(changed).as("inputs that FP16 cannot hold exactly").isPositive();
        float[] fp32 = client.infer(InferRequest.to(CANCER).input("features", Tensor.fp32(new long[] {3, 30}, rounded))).output("logits").toFloats();
        float[] got = logits.toFloats();
        for (int i = 0; i < fp32.length; i++) {
            // BF16 keeps 8 significant bits, FP32 24: a BF16 ulp is 2^16 FP32 ulps of the same value, and
            // rounding to nearest (even) lands within half of it, 2^15 FP32 ulps. Nothing else differs.
            float halfBf16Ulp = Math.ulp(fp32[i]) * (1 << 15);
            assertThat(got[i]).as("logit %d: fp32 %s", i, fp32[i]).isCloseTo(fp32[i], within(halfBf16Ulp));
        }
    }

    @Test
    void languageModelNextTokenLogitsWithInt64AndLeftPadding() {
        long[] prompt = {1, 50, 51, 52};
        long[] shorter = {1, 50, 51};
        InferResult alone = client.infer(InferRequest.to(LM).input("input_ids", Tensor.int64(new long[] {1, 3}, shorter)));
        InferResult padded = client.infer(InferRequest.to(LM)
                .input("input_ids", Tensor.int64(new long[] {2, 4}, concat(prompt, new long[] {0, 1, 50, 51})))
                .input("attention_mask", Tensor.int64(new long[] {2, 4}, 1, 1, 1, 1, 0, 1, 1, 1)));
        Tensor logits = padded.output("logits");
        int vocab = Math.toIntExact(logits.shape()[1]);
        assertThat(logits.shape()).containsExactly(2, vocab);
        float[] both = logits.toFloats();
        assertThat(Arrays.copyOfRange(both, 0, vocab)).containsExactly(directNextTokenLogits(prompt), within(1e-4f));
        assertThat(Arrays.copyOfRange(both, vocab, 2 * vocab)).containsExactly(alone.output("logits").toFloats(), within(1e-4f));
    }

    @Test
    void int32IdsAndBoolMaskGiveTheSameLogitsAsInt64() {
        InferResult int64 = client.infer(InferRequest.to(LM).input("input_ids", Tensor.int64(new long[] {1, 3}, 1, 60, 61)));
        InferResult int32 = client.infer(InferRequest.to(LM_INT32)
                .input("input_ids", Tensor.int32(new long[] {1, 3}, 1, 60, 61))
                .input("attention_mask", Tensor.bool(new long[] {1, 3}, true, true, true)));
        assertThat(int32.output("logits").raw()).isEqualTo(int64.output("logits").raw());
        // the same request in typed contents (int_contents, bool_contents; int64_contents) answers identically
        InferRequest typed32 = InferRequest.to(LM_INT32).input("input_ids", Tensor.int32(new long[] {1, 3}, 1, 60, 61))
                .input("attention_mask", Tensor.bool(new long[] {1, 3}, true, true, true));
        assertThat(client.infer(typed32.toTypedProto()).getRawOutputContents(0)).isEqualTo(int64.output("logits").raw());
        InferRequest typed64 = InferRequest.to(LM).input("input_ids", Tensor.int64(new long[] {1, 3}, 1, 60, 61));
        assertThat(client.infer(typed64.toTypedProto()).getRawOutputContents(0)).isEqualTo(int64.output("logits").raw());
    }

    @Test
    void streamInferAnswersEveryRequestInOrderWithErrorsInBand() {
        ModelInferRequest good = InferRequest.to(CANCER).id("a").input("features", features(cancerRows[0])).toProto();
        ModelInferRequest bad = InferRequest.to("no-such-model").id("b").input("features", features(cancerRows[0])).toProto();
        ModelInferRequest second = InferRequest.to(CANCER).id("c").input("features", features(cancerRows[1])).toProto();
        List<ModelStreamInferResponse> responses = client.streamInfer(List.of(good, bad, second));
        assertThat(responses).hasSize(3);
        assertThat(responses.get(0).getErrorMessage()).isEmpty();
        assertThat(responses.get(0).getInferResponse().getId()).isEqualTo("a");
        assertThat(responses.get(1).getErrorMessage()).contains("unknown model");
        assertThat(responses.get(2).getInferResponse().getId()).isEqualTo("c");
    }

    @Test
    void statisticsCountRowsExecutionsAndFailures() {
        ModelStatistics before = client.statistics(LM, "1").getModelStats(0);
        client.infer(InferRequest.to(LM).input("input_ids", Tensor.int64(new long[] {2, 2}, 1, 70, 1, 71)));
        assertThatThrownBy(() -> client.infer(InferRequest.to(LM).input("input_ids", Tensor.int64(new long[] {1, 1}, 100_000))))
                .isInstanceOf(StatusRuntimeException.class);
        ModelStatistics after = client.statistics(LM, "1").getModelStats(0);
        assertThat(after.getInferenceCount() - before.getInferenceCount()).isEqualTo(2);
        assertThat(after.getExecutionCount() - before.getExecutionCount()).isEqualTo(1);
        assertThat(after.getInferenceStats().getFail().getCount() - before.getInferenceStats().getFail().getCount()).isEqualTo(1);
        assertThat(after.getInferenceStats().getComputeInfer().getNs()).isGreaterThan(before.getInferenceStats().getComputeInfer().getNs());
        assertThat(after.getBatchStatsList()).anyMatch(b -> b.getBatchSize() == 2);
        assertThat(after.getLastInference()).isPositive();
        assertThat(client.statistics("", "").getModelStatsList()).extracting(ModelStatistics::getName)
                .contains(CANCER, CANCER_HALF, LM, LM_INT32);
    }

    @Test
    void repositoryIndexLoadAndUnload() {
        assertCode(Status.Code.INVALID_ARGUMENT, () -> client.loadModel(BROKEN));
        List<ModelIndex> index = client.repositoryIndex(false);
        assertThat(index).extracting(ModelIndex::getName).contains(BROKEN, CANCER, LM);
        ModelIndex broken = index.stream().filter(m -> m.getName().equals(BROKEN)).findFirst().orElseThrow();
        assertThat(broken.getState()).isEqualTo("UNAVAILABLE");
        assertThat(broken.getReason()).contains("dims");
        assertThat(client.repositoryIndex(true)).extracting(ModelIndex::getName).doesNotContain(BROKEN);

        String model = "cancer-reloadable";
        new RepositoryWriter(repository).write(cancerConfig.toBuilder().setName(model).build(), 3, cancerDir);
        assertThat(client.modelReady(model, "")).isFalse();
        assertCode(Status.Code.INVALID_ARGUMENT, () -> infer(model, ""));
        client.loadModel(model);
        assertThat(client.modelReady(model, "3")).isTrue();
        assertThat(infer(model, "").version()).isEqualTo("3");
        client.unloadModel(model);
        assertThat(client.modelReady(model, "")).isFalse();
        assertCode(Status.Code.NOT_FOUND, () -> infer(model, ""));
        assertThat(client.repositoryIndex(false)).anyMatch(m -> m.getName().equals(model) && m.getState().equals("UNAVAILABLE"));
        client.loadModel(model);
        assertThat(infer(model, "3").model()).isEqualTo(model);
        assertCode(Status.Code.INTERNAL, () -> client.loadModel("not-in-repository")); // Triton: "failed to poll"
        client.unloadModel("not-in-repository"); // a no-op, as in Triton
        // an unparsable config.pbtxt is a failed poll for Triton: INTERNAL, with the reason in the index
        new RepositoryWriter(repository).write(cancerConfig.toBuilder().setName("garbled").build(), 1, cancerDir);
        writeQuietly(repository.resolve("garbled").resolve("config.pbtxt"), "max_batch_size: [oops");
        assertCode(Status.Code.INTERNAL, () -> client.loadModel("garbled"));
        assertThat(client.repositoryIndex(false)).anyMatch(m -> m.getName().equals("garbled") && m.getReason().contains("does not parse"));
    }

    @Test
    void errorsCarryTritonsCodes() {
        Tensor good = features(cancerRows[0]);
        assertCode(Status.Code.INVALID_ARGUMENT, () -> infer("no-such-model", ""));
        assertCode(Status.Code.NOT_FOUND, () -> infer(CANCER, "7"));
        assertCode(Status.Code.NOT_FOUND, () -> client.modelMetadata(CANCER, "7"));
        // wrong datatype, wrong shape, too large a batch, unknown input and output
        assertCode(Status.Code.INVALID_ARGUMENT, () -> client.infer(InferRequest.to(CANCER).input("features", Tensor.fp16(new long[] {1, 30}, flatten(cancerRows[0])))));
        assertCode(Status.Code.INVALID_ARGUMENT, () -> client.infer(InferRequest.to(CANCER).input("features", Tensor.fp32(new long[] {1, 29}, new float[29]))));
        assertCode(Status.Code.INVALID_ARGUMENT, () -> client.infer(InferRequest.to(CANCER).input("features", Tensor.fp32(new long[] {30}, new float[30]))));
        assertCode(Status.Code.INVALID_ARGUMENT, () -> client.infer(InferRequest.to(CANCER).input("features", Tensor.fp32(new long[] {MAX_BATCH + 1, 30}, new float[30 * (MAX_BATCH + 1)]))));
        assertCode(Status.Code.INVALID_ARGUMENT, () -> client.infer(InferRequest.to(CANCER).input("pixels", good)));
        assertCode(Status.Code.INVALID_ARGUMENT, () -> client.infer(InferRequest.to(CANCER).input("features", good).output("probabilities")));
        assertCode(Status.Code.INVALID_ARGUMENT, () -> client.infer(InferRequest.to(CANCER)));
        // raw bytes that do not fill the shape, and raw and typed contents mixed in one request
        ModelInferRequest raw = InferRequest.to(CANCER).input("features", good).toProto();
        assertCode(Status.Code.INVALID_ARGUMENT, () -> client.infer(raw.toBuilder().setRawInputContents(0, raw.getRawInputContents(0).substring(4)).build()));
        ModelInferRequest mixed = raw.toBuilder().setInputs(0, raw.getInputs(0).toBuilder()
                .setContents(InferTensorContents.newBuilder().addAllFp32Contents(boxed(flatten(cancerRows[0]))))).build();
        assertCode(Status.Code.INVALID_ARGUMENT, () -> client.infer(mixed));
        // FP16 has no typed field in Triton's protocol
        ModelInferRequest typedHalf = InferRequest.to(CANCER_HALF).input("features", Tensor.fp32(new long[] {1, 30}, flatten(cancerRows[0]))).toTypedProto();
        assertCode(Status.Code.INVALID_ARGUMENT, () -> client.infer(typedHalf.toBuilder().setInputs(0, typedHalf.getInputs(0).toBuilder().setDatatype("FP16")).build()));
    }

    @Test
    void everyCallHasADeadline() {
        try (TritonClient hurried = TritonClient.connect("127.0.0.1:" + server.port(), ClientOptions.defaults().withDeadline(Duration.ofNanos(1)))) {
            assertCode(Status.Code.DEADLINE_EXCEEDED, hurried::serverLive);
        }
    }

    @Test
    void unavailableIsRetriedWithBackoffThenReported() throws Exception {
        int freePort;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
            freePort = socket.getLocalPort();
        }
        // attempts are counted in TritonClientResilienceTest; here: nobody listening ends as UNAVAILABLE, not as a hang
        ClientOptions options = ClientOptions.defaults().withDeadline(Duration.ofSeconds(2)).withRetries(3, Duration.ofMillis(100), Duration.ofMillis(400));
        try (TritonClient nobodyHome = TritonClient.connect("127.0.0.1:" + freePort, options)) {
            assertCode(Status.Code.UNAVAILABLE, nobodyHome::serverLive);
        }
        // after repeated failed calls the breaker opens and calls fail fast without a network attempt
        try (TritonClient breaking = TritonClient.connect("127.0.0.1:" + freePort,
                options.withRetries(1, Duration.ZERO, Duration.ZERO).withBreaker(2, Duration.ofMinutes(1)))) {
            assertCode(Status.Code.UNAVAILABLE, breaking::serverLive);
            assertCode(Status.Code.UNAVAILABLE, breaking::serverLive);
            assertThat(breaking.circuitOpen()).isTrue();
            assertThatThrownBy(breaking::serverLive).hasMessageContaining("circuit open");
        }
        // a server that comes up while the client backs off is reached by a later attempt
        // gRPC draws each pause uniformly below 100, 200, 400, 400, ... ms: 20 attempts wait 3.5 s on average,
        // far beyond the channel's first reconnection (about 1 s after the refused connection)
        ClientOptions patient = options.withDeadline(Duration.ofSeconds(20)).withRetries(20, Duration.ofMillis(100), Duration.ofMillis(400));
        try (TritonClient waiting = TritonClient.connect("127.0.0.1:" + freePort, patient)) {
            var late = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                sleepQuietly(400);
                return ModelServer.start(repository, "127.0.0.1", freePort, List.of());
            });
            try {
                assertThat(waiting.serverLive()).isTrue();
                assertThat(waiting.awaitModelReady(CANCER, "", Duration.ofMillis(300))).isFalse();
            } finally {
                late.get().close();
            }
        }
    }

    @Test
    void dynamicBatchingJoinsConcurrentRequestsIntoOneExecution() throws Exception {
        ModelStatistics before = client.statistics(CANCER_BATCHED, "1").getModelStats(0);
        List<java.util.concurrent.CompletableFuture<InferResult>> results = new java.util.ArrayList<>();
        float[][] rows = {cancerRows[0], cancerRows[1], cancerRows[2], sampleFeatures(4)};
        for (float[] row : rows) {
            results.add(java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> client.infer(InferRequest.to(CANCER_BATCHED).input("features", features(row))), callers));
        }
        for (int i = 0; i < rows.length; i++) {
            InferResult batched = results.get(i).get(30, java.util.concurrent.TimeUnit.SECONDS);
            InferResult alone = client.infer(InferRequest.to(CANCER).input("features", features(rows[i])));
            assertThat(batched.output("logits").shape()).containsExactly(1, 2);
            assertThat(batched.output("logits").toFloats()).containsExactly(alone.output("logits").toFloats(), within(1e-5f));
            assertThat(batched.output("labels").toByteElements().get(0)).isEqualTo(alone.output("labels").toByteElements().get(0));
        }
        ModelStatistics after = client.statistics(CANCER_BATCHED, "1").getModelStats(0);
        assertThat(after.getInferenceCount() - before.getInferenceCount()).isEqualTo(4);
        assertThat(after.getExecutionCount() - before.getExecutionCount()).as("executions for 4 concurrent requests").isLessThan(4);
        assertThat(after.getBatchStatsList()).anyMatch(b -> b.getBatchSize() > 1);
    }

    @Test
    void aFaultyRequestInAJoinedBatchFailsAlone() throws Exception {
        long[][] prompts = {{1, 80, 81}, {1, 82, 83}, {1, 100_000, 84}, {1, 85, 86}};
        List<java.util.concurrent.CompletableFuture<InferResult>> results = new java.util.ArrayList<>();
        for (long[] prompt : prompts) {
            results.add(java.util.concurrent.CompletableFuture.supplyAsync(
                    () -> client.infer(InferRequest.to(LM_BATCHED).input("input_ids", Tensor.int64(new long[] {1, 3}, prompt))), callers));
        }
        for (int i = 0; i < prompts.length; i++) {
            var result = results.get(i);
            if (i == 2) {
                assertThatThrownBy(() -> result.get(30, java.util.concurrent.TimeUnit.SECONDS)).cause()
                        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT));
            } else {
                assertThat(result.get(30, java.util.concurrent.TimeUnit.SECONDS).output("logits").toFloats())
                        .containsExactly(directNextTokenLogits(prompts[i]), within(1e-4f));
            }
        }
    }

    @Test
    void sequenceRequestsContinueFromTheKvCacheUntilTheEnd() {
        assertThat(step("s1", true, false, 1, 50, 51)).containsExactly(directNextTokenLogits(new long[] {1, 50, 51}), within(1e-4f));
        assertThat(step("s1", false, false, 52)).containsExactly(directNextTokenLogits(new long[] {1, 50, 51, 52}), within(1e-4f));
        assertThat(step("s1", false, true, 53, 54)).containsExactly(directNextTokenLogits(new long[] {1, 50, 51, 52, 53, 54}), within(1e-4f));
        assertThat(server.models().resolve(LM_SEQUENCES, "").activeSequences()).isZero();
        assertCode(Status.Code.INVALID_ARGUMENT, () -> step("s1", false, false, 55)); // ended: needs a new start
        assertCode(Status.Code.INVALID_ARGUMENT, () -> client.infer(InferRequest.to(LM_SEQUENCES).input("input_ids", Tensor.int64(new long[] {1, 1}, 1))));
    }

    @Test
    void sequenceIdsSentAsUint64AsTritonClientsMaySendThemContinueTheSequence() {
        // 2^64 - 2: beyond int64, so only a uint64_param can carry it
        InferParameters.UnsignedLong id = new InferParameters.UnsignedLong(-2L);
        // expected logits first: the sequence must not idle past its 300 ms eviction while they are computed
        float[] afterStart = directNextTokenLogits(new long[] {1, 70});
        float[] afterEnd = directNextTokenLogits(new long[] {1, 70, 71});
        InferRequest start = InferRequest.to(LM_SEQUENCES).parameter("sequence_id", id).parameter("sequence_start", true)
                .input("input_ids", Tensor.int64(new long[] {1, 2}, 1, 70));
        float[] gotAfterStart = client.infer(start).output("logits").toFloats();
        InferRequest end = InferRequest.to(LM_SEQUENCES).parameter("sequence_id", id).parameter("sequence_end", true)
                .input("input_ids", Tensor.int64(new long[] {1, 1}, 71));
        float[] gotAfterEnd = client.infer(end).output("logits").toFloats();
        assertThat(gotAfterStart).containsExactly(afterStart, within(1e-4f));
        assertThat(gotAfterEnd).containsExactly(afterEnd, within(1e-4f));
        assertCode(Status.Code.INVALID_ARGUMENT, () -> client.infer(InferRequest.to(LM_SEQUENCES).parameter("sequence_id", 3.0)
                .parameter("sequence_start", true).input("input_ids", Tensor.int64(new long[] {1, 1}, 1))));
    }

    @Test
    void idleSequencesAreEvictedAndFreed() throws InterruptedException {
        step("idle", true, false, 1, 60);
        assertThat(server.models().resolve(LM_SEQUENCES, "").activeSequences()).isPositive();
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (server.models().resolve(LM_SEQUENCES, "").activeSequences() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(server.models().resolve(LM_SEQUENCES, "").activeSequences()).isZero();
        assertCode(Status.Code.INVALID_ARGUMENT, () -> step("idle", false, false, 61));
    }

    private float[] step(String sequence, boolean start, boolean end, long... tokens) {
        return client.infer(InferRequest.to(LM_SEQUENCES).sequence(sequence, start, end)
                .input("input_ids", Tensor.int64(new long[] {1, tokens.length}, tokens))).output("logits").toFloats();
    }

    @Test
    void responsesBeyondGrpcsDefault4MibArriveWithTheClientsLimit() {
        long[] ids = new long[WIDE_BATCH];
        Arrays.fill(ids, 65);
        InferRequest request = InferRequest.to(LM_WIDE).input("input_ids", Tensor.int64(new long[] {WIDE_BATCH, 1}, ids));
        Tensor logits = client.infer(request).output("logits");
        assertThat(logits.raw().size()).isGreaterThan(4 * 1024 * 1024);
        // a plain grpc-java stub keeps the 4 MiB default and cannot take the same answer
        io.grpc.ManagedChannel plain = io.grpc.netty.NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
        try {
            assertCode(Status.Code.RESOURCE_EXHAUSTED, () -> dev.divergence.proto.triton.GRPCInferenceServiceGrpc.newBlockingStub(plain)
                    .withDeadlineAfter(20, java.util.concurrent.TimeUnit.SECONDS).modelInfer(request.toProto()));
        } finally {
            plain.shutdownNow();
        }
    }

    @Test
    void prometheusMetricsCarryTritonsNames() throws Exception {
        client.infer(InferRequest.to(CANCER).input("features", features(cancerRows[0])));
        ModelStatistics stats = client.statistics(CANCER, "1").getModelStats(0);
        java.net.http.HttpResponse<String> response = scrapeMetrics(null);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/plain; version=0.0.4"));
        // Triton's counters carry no _total suffix, which Prometheus' Java client adds to every counter
        // it writes; the series names are what dashboards and alerts select, so the families are
        // exposed untyped (rate() and increase() work on them alike) under Triton's exact names.
        assertThat(response.body()).contains("# TYPE nv_inference_request_success untyped").doesNotContain("_total")
                .containsPattern("nv_inference_request_success\\{model=\"cancer\",version=\"1\"\\} [1-9]")
                .contains("nv_inference_count{model=\"cancer\",version=\"1\"}", "nv_inference_exec_count{", "nv_inference_queue_duration_us{",
                        "nv_inference_compute_infer_duration_us{", "nv_inference_request_failure{", "nv_inference_request_duration_us{");
        // the values are those of ModelStatistics (read before the scrape; counters only grow)
        assertThat(sample(response.body(), "nv_inference_count", CANCER)).isGreaterThanOrEqualTo(stats.getInferenceCount()).isPositive();
        assertThat(sample(response.body(), "nv_inference_exec_count", CANCER)).isGreaterThanOrEqualTo(stats.getExecutionCount()).isPositive();
    }

    @Test
    void metricsAnswerOpenMetricsScrapesInOpenMetrics() throws Exception {
        client.infer(InferRequest.to(CANCER).input("features", features(cancerRows[0])));
        // the Accept header Prometheus 2.x and 3.x scrape with
        java.net.http.HttpResponse<String> response = scrapeMetrics(
                "application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.1");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("application/openmetrics-text"));
        assertThat(response.body()).contains("# TYPE nv_inference_request_success unknown")
                .containsPattern("nv_inference_request_success\\{model=\"cancer\",version=\"1\"\\} [1-9]").endsWith("# EOF\n");
    }

    private java.net.http.HttpResponse<String> scrapeMetrics(String accept) throws Exception {
        java.net.http.HttpRequest.Builder request = java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + server.metricsPort() + "/metrics"));
        if (accept != null) {
            request.header("Accept", accept);
        }
        return java.net.http.HttpClient.newHttpClient().send(request.build(), java.net.http.HttpResponse.BodyHandlers.ofString());
    }

    private static long sample(String exposition, String family, String model) {
        String prefix = family + "{model=\"" + model + "\",version=\"1\"} ";
        return exposition.lines().filter(l -> l.startsWith(prefix)).mapToLong(l -> (long) Double.parseDouble(l.substring(prefix.length())))
                .findFirst().orElseThrow(() -> new AssertionError("no " + prefix + " in\n" + exposition));
    }

    private InferResult infer(String model, String version) {
        return client.infer(InferRequest.to(model).version(version).input("features", features(cancerRows[0])));
    }

    private static void assertCode(Status.Code code, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(code));
    }

    private float[] directClassifierLogits(float[][] rows) {
        try (NDManager m = manager.newSubManager(); Classifier classifier = Classifier.load(m, cancerDir)) {
            return classifier.logits(m.create(flatten(rows), new Shape(rows.length, 30))).toFloatArray();
        }
    }

    private float[] directNextTokenLogits(long[] prompt) {
        try (NDManager m = manager.newSubManager(); LlamaModel model = LlamaModel.load(m, lmDir)) {
            NDArray logits = model.forward(m.create(prompt, new Shape(1, prompt.length)), null);
            return logits.get(0, prompt.length - 1).toFloatArray();
        }
    }

    /** Plausible breast-cancer feature rows: positive, of the data set's typical magnitudes. */
    private static float[] sampleFeatures(int seed) {
        float[] row = new float[30];
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        for (int i = 0; i < row.length; i++) {
            row[i] = (float) (random.nextDouble(0.5, 1.5) * (i % 10 == 3 ? 600 : i % 10 == 0 ? 14 : 0.5));
        }
        return row;
    }

    private static Tensor features(float[]... rows) {
        return Tensor.fp32(new long[] {rows.length, 30}, flatten(rows));
    }

    private static float[] flatten(float[]... rows) {
        float[] out = new float[rows.length * 30];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, out, r * 30, 30);
        }
        return out;
    }

    private static List<Float> boxed(float[] values) {
        Float[] out = new Float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return Arrays.asList(out);
    }

    private static long[] concat(long[] a, long[] b) {
        long[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static void writeQuietly(Path file, String text) {
        try {
            Files.writeString(file, text);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
