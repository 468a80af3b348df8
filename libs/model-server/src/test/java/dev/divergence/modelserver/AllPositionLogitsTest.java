package dev.divergence.modelserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.assets.TinyAssets;
import dev.divergence.model.lm.LlamaConfig;
import dev.divergence.modelserver.client.ClientOptions;
import dev.divergence.modelserver.client.InferRequest;
import dev.divergence.modelserver.client.InferResult;
import dev.divergence.modelserver.client.TritonClient;
import dev.divergence.modelserver.repository.RepositoryWriter;
import dev.divergence.modelserver.tensor.Tensor;
import dev.divergence.modelserver.tensor.TensorType;
import dev.divergence.proto.triton.ModelConfig;
import dev.divergence.proto.triton.ModelMetadataResponse;
import dev.divergence.proto.triton.ModelOutput;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The stateless language-model entry's optional {@code all_logits} output [batch, seq, vocab]: the
 * next-token logits after every position of one forward. Each position's row equals what the
 * per-prefix path ({@code logits} of the row cut after that token) answers, within the float32
 * summation-order bound; it is computed only when asked for by name; configs without it still load.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AllPositionLogitsTest {

    private static final String LM = "tiny-lm";
    /** The same model with a config written before all_logits existed. */
    private static final String LM_WITHOUT = "tiny-lm-logits-only";
    private static final String LM_SEQUENCES = "tiny-lm-sequences";
    private static final int MAX_BATCH = 8;
    /** float32 machine epsilon (2^-23). */
    private static final double FLOAT32_EPS = 0x1p-23;

    private NDManager manager;
    private ModelServer server;
    private TritonClient client;
    private LlamaConfig config;
    private int vocab;

    @BeforeAll
    void startServer() throws java.io.IOException {
        Files.createDirectories(Path.of("target/tmp"));
        Path repository = Files.createTempDirectory(Path.of("target/tmp"), "all-logits-repository-");
        DjlRuntime.configure(Path.of("target/djl-cache"));
        manager = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
        TinyAssets assets = new TinyAssets(Path.of("target/tiny-assets"), new TinyAssets.Budget(40, 30));
        Path lmDir = assets.ensure(manager, TinyAssets.TINY_LM);
        config = LlamaConfig.read(lmDir);
        vocab = config.vocabSize();
        RepositoryWriter writer = new RepositoryWriter(repository);
        ModelConfig lmConfig = RepositoryWriter.languageModelConfig(LM, lmDir, MAX_BATCH);
        writer.write(lmConfig, 1, lmDir);
        ModelConfig logitsOnly = lmConfig.toBuilder().setName(LM_WITHOUT).clearOutput()
                .addAllOutput(lmConfig.getOutputList().stream().filter(o -> o.getName().equals("logits")).toList()).build();
        writer.write(logitsOnly, 1, lmDir);
        writer.write(RepositoryWriter.decodingConfig(lmConfig, LM_SEQUENCES), 1, lmDir);
        server = ModelServer.start(repository, "127.0.0.1", new ModelServer.Ports(0, 0, 0), List.of(LM, LM_WITHOUT, LM_SEQUENCES));
        client = TritonClient.connect("127.0.0.1:" + server.port(), ClientOptions.defaults().withDeadline(Duration.ofSeconds(30)));
    }

    @AfterAll
    void stopServer() {
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
    void theDefaultConfigDeclaresAllLogitsAsFp32OverPositionsAndVocabulary() {
        ModelOutput declared = client.modelConfig(LM, "1").getOutputList().stream()
                .filter(o -> o.getName().equals("all_logits")).findFirst().orElseThrow();
        assertThat(declared.getDataType()).isEqualTo(dev.divergence.proto.triton.DataType.TYPE_FP32);
        assertThat(declared.getDimsList()).containsExactly(-1L, (long) vocab);
        ModelMetadataResponse.TensorMetadata metadata = client.modelMetadata(LM, "1").getOutputsList().stream()
                .filter(o -> o.getName().equals("all_logits")).findFirst().orElseThrow();
        assertThat(metadata.getDatatype()).isEqualTo("FP32");
        assertThat(metadata.getShapeList()).containsExactly(-1L, -1L, (long) vocab);
    }

    /**
     * Random right-padded batches (seeded): every real position's all_logits row against the
     * per-prefix path, a separate request of that prefix alone asking for logits.
     */
    @Test
    void everyPositionEqualsTheNextTokenLogitsOfItsPrefix() {
        long seed = 20261206L;
        SplittableRandom random = new SplittableRandom(seed);
        for (int trial = 0; trial < 3; trial++) {
            int rows = 1 + random.nextInt(3);
            long[][] tokens = new long[rows][];
            int seq = 0;
            for (int r = 0; r < rows; r++) {
                tokens[r] = new long[1 + random.nextInt(12)];
                for (int t = 0; t < tokens[r].length; t++) {
                    tokens[r][t] = random.nextInt(vocab);
                }
                seq = Math.max(seq, tokens[r].length);
            }
            long[] ids = new long[rows * seq];
            long[] mask = new long[rows * seq];
            for (int r = 0; r < rows; r++) {
                System.arraycopy(tokens[r], 0, ids, r * seq, tokens[r].length);
                Arrays.fill(mask, r * seq, r * seq + tokens[r].length, 1L);
            }
            InferResult all = client.infer(InferRequest.to(LM).input("input_ids", Tensor.int64(new long[] {rows, seq}, ids))
                    .input("attention_mask", Tensor.int64(new long[] {rows, seq}, mask)).output("all_logits"));
            Tensor allLogits = all.output("all_logits");
            assertThat(allLogits.type()).isEqualTo(TensorType.FP32);
            assertThat(allLogits.shape()).containsExactly(rows, seq, vocab);
            float[] values = allLogits.toFloats();
            for (int r = 0; r < rows; r++) {
                for (int t = 0; t < tokens[r].length; t++) {
                    long[] prefix = Arrays.copyOf(tokens[r], t + 1);
                    float[] expected = client.infer(InferRequest.to(LM).input("input_ids", Tensor.int64(new long[] {1, t + 1}, prefix))
                            .output("logits")).output("logits").toFloats();
                    int offset = (r * seq + t) * vocab;
                    float[] actual = Arrays.copyOfRange(values, offset, offset + vocab);
                    double tolerance = summationOrderBound(seq, expected);
                    for (int id = 0; id < vocab; id++) {
                        if (Math.abs(actual[id] - expected[id]) > tolerance) {
                            throw new AssertionError("seed " + seed + " trial " + trial + " row " + r + " position " + t + " token " + id
                                    + ": all_logits " + actual[id] + " vs prefix logits " + expected[id] + " (tolerance " + tolerance
                                    + ", row " + Arrays.toString(tokens[r]) + ")");
                        }
                    }
                }
            }
        }
    }

    @Test
    void bothOutputsOfOneForwardAgreeBitForBitAtTheLastRealToken() {
        long[] ids = {1, 70, 71, 72, 1, 80, 0, 0};
        long[] mask = {1, 1, 1, 1, 1, 1, 0, 0};
        InferResult both = client.infer(InferRequest.to(LM).input("input_ids", Tensor.int64(new long[] {2, 4}, ids))
                .input("attention_mask", Tensor.int64(new long[] {2, 4}, mask)).output("logits").output("all_logits"));
        float[] last = both.output("logits").toFloats();
        float[] all = both.output("all_logits").toFloats();
        // the same forward's array, read at (row 0, position 3) and (row 1, position 1)
        assertThat(Arrays.copyOfRange(all, 3 * vocab, 4 * vocab)).containsExactly(Arrays.copyOfRange(last, 0, vocab));
        assertThat(Arrays.copyOfRange(all, (4 + 1) * vocab, (4 + 2) * vocab)).containsExactly(Arrays.copyOfRange(last, vocab, 2 * vocab));
    }

    @Test
    void onlyRequestedOutputsAreComputedAndReturned() {
        InferResult logitsOnly = client.infer(InferRequest.to(LM).input("input_ids", Tensor.int64(new long[] {1, 3}, 1, 60, 61))
                .output("logits"));
        assertThat(logitsOnly.outputs()).containsOnlyKeys("logits");
        InferResult allOnly = client.infer(InferRequest.to(LM).input("input_ids", Tensor.int64(new long[] {1, 3}, 1, 60, 61))
                .output("all_logits"));
        assertThat(allOnly.outputs()).containsOnlyKeys("all_logits");
        // Triton's rule: a request naming no output gets every declared output
        InferResult unnamed = client.infer(InferRequest.to(LM).input("input_ids", Tensor.int64(new long[] {1, 3}, 1, 60, 61)));
        assertThat(unnamed.outputs()).containsOnlyKeys("logits", "all_logits");
    }

    @Test
    void anEntryWithoutAllLogitsInItsConfigServesLogitsAndRejectsAllLogits() {
        InferResult result = client.infer(InferRequest.to(LM_WITHOUT).input("input_ids", Tensor.int64(new long[] {1, 2}, 1, 60)));
        assertThat(result.outputs()).containsOnlyKeys("logits");
        assertThatThrownBy(() -> client.infer(InferRequest.to(LM_WITHOUT).input("input_ids", Tensor.int64(new long[] {1, 2}, 1, 60))
                .output("all_logits")))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).contains("all_logits");
                });
    }

    /**
     * In a sequence (KV cache), the prefill's all_logits cover the prompt's positions and a
     * one-token step's all_logits [1, 1, vocab] are that step's logits.
     */
    @Test
    void sequenceRequestsAnswerAllLogitsForTheirNewTokens() {
        String sequence = "all-logits-4242";
        InferResult prefill = client.infer(InferRequest.to(LM_SEQUENCES).sequence(sequence, true, false)
                .input("input_ids", Tensor.int64(new long[] {1, 3}, 1, 60, 61)).output("logits").output("all_logits"));
        assertThat(prefill.output("all_logits").shape()).containsExactly(1, 3, vocab);
        float[] prefillAll = prefill.output("all_logits").toFloats();
        assertThat(Arrays.copyOfRange(prefillAll, 2 * vocab, 3 * vocab)).containsExactly(prefill.output("logits").toFloats());
        InferResult step = client.infer(InferRequest.to(LM_SEQUENCES).sequence(sequence, false, true)
                .input("input_ids", Tensor.int64(new long[] {1, 1}, 62)).output("logits").output("all_logits"));
        assertThat(step.output("all_logits").shape()).containsExactly(1, 1, vocab);
        assertThat(step.output("all_logits").toFloats()).containsExactly(step.output("logits").toFloats());
    }

    /**
     * Two float32 evaluations of the same decoder logits that differ only in summation order (a
     * padded batch of {@code positions} against the prefix alone): a float32 sum of n products is
     * within n * u * sum|x_i y_i| of exact (Higham's gamma_n, u = 2^-24), so two evaluations are
     * within n * eps * sum|x_i y_i| (eps = 2u). Along the path to one logit the reduction lengths
     * per layer are the input RMS norm and q, k, v (hidden each), the scores (head dim), the softmax
     * normaliser and the weighted values (positions each), o (heads * head dim), the second norm,
     * gate and up (hidden each) and down (intermediate); then the final norm and the head (hidden
     * each); pre-norm blocks keep each stage's sum|terms| at the size of the logits, so the bound is
     * N * eps * max|logit| (libs/model's forwardTolerance, the same derivation).
     */
    private double summationOrderBound(int positions, float[] logits) {
        int hidden = config.hiddenSize();
        long perLayer = hidden + 3L * hidden + config.headDim() + 2L * positions + (long) config.numHeads() * config.headDim()
                + hidden + 2L * hidden + config.intermediateSize();
        long n = config.numLayers() * perLayer + 2L * hidden;
        double largest = 0;
        for (float v : logits) {
            largest = Math.max(largest, Math.abs(v));
        }
        return n * FLOAT32_EPS * largest;
    }
}
