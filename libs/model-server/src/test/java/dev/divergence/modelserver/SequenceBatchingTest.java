package dev.divergence.modelserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.assets.TinyAssets;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.modelserver.client.ClientOptions;
import dev.divergence.modelserver.client.InferRequest;
import dev.divergence.modelserver.client.TritonClient;
import dev.divergence.modelserver.repository.RepositoryWriter;
import dev.divergence.modelserver.tensor.Tensor;
import dev.divergence.proto.triton.InferBatchStatistics;
import dev.divergence.proto.triton.ModelConfig;
import dev.divergence.proto.triton.ModelSequenceBatching;
import dev.divergence.proto.triton.ModelStatistics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Sequence batching with Triton's oldest strategy over a real socket: concurrent generations'
 * decode steps execute as batches, and every step's logits equal a full recomputation of that
 * sequence alone.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SequenceBatchingTest {

    private static final String DECODE = "tiny-lm__decode";
    /** A long delay and a preferred size of all the sequences: steps surely meet in batches. */
    private static final String DECODE_PATIENT = "tiny-lm-patient__decode";
    private static final int SEQUENCES = 5;

    private NDManager manager;
    private Path lmDir;
    private ModelServer server;
    private TritonClient client;
    private final ExecutorService generations = Executors.newFixedThreadPool(SEQUENCES);

    @BeforeAll
    void startServer() throws java.io.IOException {
        Files.createDirectories(Path.of("target/tmp"));
        Path repository = Files.createTempDirectory(Path.of("target/tmp"), "sequence-repository-");
        DjlRuntime.configure(Path.of("target/djl-cache"));
        manager = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
        lmDir = new TinyAssets(Path.of("target/tiny-assets"), new TinyAssets.Budget(40, 30)).ensure(manager, TinyAssets.TINY_LM);
        RepositoryWriter writer = new RepositoryWriter(repository);
        ModelConfig stateless = RepositoryWriter.languageModelConfig("tiny-lm", lmDir, 8);
        writer.write(RepositoryWriter.decodingConfig(stateless, DECODE), 1, lmDir);
        ModelConfig patient = RepositoryWriter.decodingConfig(stateless, DECODE_PATIENT);
        ModelSequenceBatching.StrategyOldest oldest = patient.getSequenceBatching().getOldest().toBuilder()
                .setMaxQueueDelayMicroseconds(5_000_000).clearPreferredBatchSize().addPreferredBatchSize(SEQUENCES).build();
        writer.write(patient.toBuilder().setSequenceBatching(patient.getSequenceBatching().toBuilder().setOldest(oldest)).build(), 1, lmDir);
        server = ModelServer.start(repository, "127.0.0.1", new ModelServer.Ports(0, 0, 0), List.of(DECODE, DECODE_PATIENT));
        client = TritonClient.connect("127.0.0.1:" + server.port(), ClientOptions.defaults().withDeadline(Duration.ofSeconds(30)));
    }

    @AfterAll
    void stopServer() {
        generations.shutdownNow();
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
    void decodingConfigDerivesTheOldestStrategyFromTheStatelessEntry() {
        ModelConfig stateless = RepositoryWriter.languageModelConfig("tiny-lm", lmDir, 8);
        ModelConfig decoding = client.modelConfig(DECODE, "");
        assertThat(decoding.getName()).isEqualTo(DECODE);
        assertThat(decoding.getInputList()).isEqualTo(stateless.getInputList());
        assertThat(decoding.getOutputList()).isEqualTo(stateless.getOutputList());
        assertThat(decoding.hasDynamicBatching()).isFalse();
        assertThat(decoding.getMaxBatchSize()).isEqualTo(RepositoryWriter.DECODING_MAX_CANDIDATE_SEQUENCES);
        ModelSequenceBatching sequences = decoding.getSequenceBatching();
        assertThat(sequences.getMaxSequenceIdleMicroseconds()).isEqualTo(RepositoryWriter.DECODING_MAX_SEQUENCE_IDLE_MICROS);
        assertThat(sequences.getOldest().getMaxCandidateSequences()).isEqualTo(RepositoryWriter.DECODING_MAX_CANDIDATE_SEQUENCES);
        assertThat(sequences.getOldest().getPreferredBatchSizeList()).containsExactly(RepositoryWriter.DECODING_PREFERRED_BATCH_SIZE);
        assertThat(sequences.getOldest().getMaxQueueDelayMicroseconds()).isEqualTo(RepositoryWriter.DECODING_MAX_QUEUE_DELAY_MICROS);
    }

    @Test
    void concurrentGenerationsStepInBatchesWithTheLogitsOfDecodingAlone() throws Exception {
        List<Generation> done = generateConcurrently(DECODE_PATIENT);
        for (Generation generation : done) {
            for (int step = 0; step < generation.logits.size(); step++) {
                long[] prefix = Arrays.copyOf(generation.tokens, generation.promptLength + step);
                assertThat(generation.logits.get(step)).as("sequence %s step %d", generation.id, step)
                        .containsExactly(recomputed(prefix), within(1e-4f));
            }
        }
        ModelStatistics statistics = client.statistics(DECODE_PATIENT, "").getModelStats(0);
        assertThat(statistics.getBatchStatsList()).extracting(InferBatchStatistics::getBatchSize).anyMatch(size -> size > 1);
        long rows = statistics.getBatchStatsList().stream().mapToLong(b -> b.getBatchSize() * b.getComputeInfer().getCount()).sum();
        assertThat(rows).isEqualTo(statistics.getInferenceCount());
        assertThat(statistics.getExecutionCount()).isLessThan(statistics.getInferenceCount());
        assertThat(server.models().resolve(DECODE_PATIENT, "").activeSequences()).isZero();
    }

    @Test
    void theDefaultDecodingEntryGivesTheSameTokensAsThePatientOne() throws Exception {
        List<Generation> patient = generateConcurrently(DECODE_PATIENT);
        List<Generation> defaults = generateConcurrently(DECODE);
        for (int i = 0; i < SEQUENCES; i++) {
            assertThat(defaults.get(i).tokens).containsExactly(patient.get(i).tokens);
        }
    }

    @Test
    void aFaultyStepFailsAloneAndTheOtherSequencesOfItsBatchContinue() throws Exception {
        // a batch of two only: the patient entry waits for every live sequence, here these two
        String good = "good-" + System.nanoTime();
        String bad = "bad-" + System.nanoTime();
        long[] prompt = {98, 99, 100};
        float[] first = client.infer(InferRequest.to(DECODE_PATIENT).sequence(good, true, false)
                .input("input_ids", Tensor.int64(new long[] {1, 3}, prompt))).output("logits").toFloats();
        client.infer(InferRequest.to(DECODE_PATIENT).sequence(bad, true, false).input("input_ids", Tensor.int64(new long[] {1, 1}, 101)));
        long next = argmax(first);
        // neither step ends its sequence, so the batch waits for both (it fails as a whole, then each runs alone)
        Future<float[]> goodStep = generations.submit(() -> client.infer(InferRequest.to(DECODE_PATIENT).sequence(good, false, false)
                .input("input_ids", Tensor.int64(new long[] {1, 1}, next))).output("logits").toFloats());
        Future<Object> badStep = generations.submit(() -> client.infer(InferRequest.to(DECODE_PATIENT).sequence(bad, false, false)
                .input("input_ids", Tensor.int64(new long[] {1, 1}, 100_000))));
        assertThat(goodStep.get(30, TimeUnit.SECONDS)).containsExactly(recomputed(new long[] {98, 99, 100, next}), within(1e-4f));
        assertThatThrownBy(() -> badStep.get(30, TimeUnit.SECONDS)).cause().isInstanceOfSatisfying(io.grpc.StatusRuntimeException.class,
                e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).contains("outside the vocabulary");
                });
        // the faulty request left its sequence's cache untouched: it continues with a valid token
        long[] badSoFar = {101, 7};
        Future<float[]> badContinues = generations.submit(() -> client.infer(InferRequest.to(DECODE_PATIENT).sequence(bad, false, true)
                .input("input_ids", Tensor.int64(new long[] {1, 1}, 7))).output("logits").toFloats());
        Future<Object> goodEnds = generations.submit(() -> client.infer(InferRequest.to(DECODE_PATIENT).sequence(good, false, true)
                .input("input_ids", Tensor.int64(new long[] {1, 1}, 5))));
        assertThat(badContinues.get(30, TimeUnit.SECONDS)).containsExactly(recomputed(badSoFar), within(1e-4f));
        goodEnds.get(30, TimeUnit.SECONDS);
        assertThat(server.models().resolve(DECODE_PATIENT, "").activeSequences()).isZero();
    }

    /** One greedy generation: its prompt and generated tokens, and the logits of each step. */
    private record Generation(String id, int promptLength, long[] tokens, List<float[]> logits) {
    }

    /** Sequences with prompts of different lengths, generating different numbers of tokens, all at once. */
    private List<Generation> generateConcurrently(String model) throws Exception {
        List<Future<Generation>> running = new ArrayList<>();
        for (int i = 0; i < SEQUENCES; i++) {
            long[] prompt = new long[2 + 3 * i];
            for (int t = 0; t < prompt.length; t++) {
                prompt[t] = 97 + (7 * i + 3 * t) % 26;
            }
            String id = model + "-" + i + "-" + System.nanoTime();
            int steps = 4 + i;
            running.add(generations.submit(() -> generate(model, id, prompt, steps)));
        }
        List<Generation> done = new ArrayList<>();
        for (Future<Generation> generation : running) {
            done.add(generation.get(60, TimeUnit.SECONDS));
        }
        return done;
    }

    private Generation generate(String model, String id, long[] prompt, int steps) {
        long[] tokens = Arrays.copyOf(prompt, prompt.length + steps);
        List<float[]> logits = new ArrayList<>();
        long[] next = prompt;
        for (int step = 0; step < steps; step++) {
            float[] row = client.infer(InferRequest.to(model).sequence(id, step == 0, step == steps - 1)
                    .input("input_ids", Tensor.int64(new long[] {1, next.length}, next))).output("logits").toFloats();
            logits.add(row);
            tokens[prompt.length + step] = argmax(row);
            next = new long[] {tokens[prompt.length + step]};
        }
        return new Generation(id, prompt.length, tokens, logits);
    }

    private float[] recomputed(long[] prefix) {
        try (NDManager m = manager.newSubManager(); LlamaModel model = LlamaModel.load(m, lmDir)) {
            NDArray logits = model.forward(m.create(prefix, new Shape(1, prefix.length)), null);
            return logits.get(0, prefix.length - 1).toFloatArray();
        }
    }

    private static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
