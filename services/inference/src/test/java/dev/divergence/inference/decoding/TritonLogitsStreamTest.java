package dev.divergence.inference.decoding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.divergence.inference.FloatTolerances;
import dev.divergence.inference.models.TritonNames;
import dev.divergence.model.generation.DecodingSession;
import dev.divergence.model.generation.GenerationConfig;
import dev.divergence.modelserver.ModelServer;
import dev.divergence.modelserver.client.ClientOptions;
import dev.divergence.modelserver.client.TritonClient;
import dev.divergence.modelserver.repository.RepositoryWriter;
import dev.divergence.proto.triton.ModelSequenceBatching;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Decoding through Triton's protocol over a real socket, against the embedded server serving the
 * tiny LM's decoding entry with sequence batching: the logits equal an in-process session's, and
 * every way decoding ends (finished, cancelled) ends the server's sequences.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TritonLogitsStreamTest {

    private static final String MODEL = "tiny-lm";
    private static final String ENTRY = TritonNames.decoding(MODEL);
    /** The entry the service writes: steps of different sequences batched (Triton's oldest strategy). */
    private static final String BATCHING_ENTRY = TritonNames.decoding("tiny-lm-batching");

    private TinyLm lm;
    private ModelServer server;
    private TritonClient client;

    @BeforeAll
    void startServer() throws Exception {
        lm = TinyLm.load();
        Files.createDirectories(Path.of("target/tmp"));
        Path repository = Files.createTempDirectory(Path.of("target/tmp"), "decoding-repository-");
        // a long idle time, so that only the end flag can be what frees a sequence here
        new RepositoryWriter(repository).write(RepositoryWriter.languageModelConfig(ENTRY, lm.dir, 4).toBuilder()
                .setSequenceBatching(ModelSequenceBatching.newBuilder().setMaxSequenceIdleMicroseconds(600_000_000L)).build(), 1, lm.dir);
        new RepositoryWriter(repository).write(RepositoryWriter.decodingConfig(RepositoryWriter.languageModelConfig("tiny-lm-batching", lm.dir, 4),
                BATCHING_ENTRY), 1, lm.dir);
        server = ModelServer.start(repository, "127.0.0.1", 0, List.of(ENTRY, BATCHING_ENTRY));
        client = TritonClient.connect("127.0.0.1:" + server.port(), ClientOptions.defaults().withDeadline(Duration.ofSeconds(20)));
    }

    @AfterAll
    void stop() {
        if (client != null) {
            client.close();
        }
        if (server != null) {
            server.close();
        }
        if (lm != null) {
            lm.close();
        }
    }

    @Test
    void logitsEqualAnInProcessSessionAndCloseEndsTheSequence() {
        long[] prompt = concat(lm.bos(), lm.tokenizer.encode("12+7="));
        long[] continuation = lm.tokenizer.encode("19.");
        try (DecodingSession session = new DecodingSession(lm.model, lm.manager)) {
            LogitsStream stream = TritonLogitsStream.on(client, ENTRY).open();
            // the server's forward against the in-process one: summation order only (FloatTolerances)
            float[] local = session.prefill(prompt);
            int positions = prompt.length;
            assertThat(stream.prefill(prompt)).containsExactly(local, within(logitTolerance(positions, local)));
            assertThat(activeSequences()).isEqualTo(1);
            for (long token : continuation) {
                local = session.step(token);
                positions++;
                assertThat(stream.step(token)).containsExactly(local, within(logitTolerance(positions, local)));
            }
            stream.close();
            assertThat(activeSequences()).isZero();
            stream.close();
            assertThat(activeSequences()).isZero();
        }
    }

    @Test
    void adaCadOverTheServerChoosesWhatItChoosesInProcessAndFreesBothSequences() {
        PromptTokens tokens = new PromptTokens(lm.bos(), lm.tokenizer.encode("Ada likes "), lm.tokenizer.encode("Ada likes soup. "), null);
        DecodingPlan plan = DecodingPlan.of(ContextContrast.adaCad(0), tokens, GenerationConfig.greedy(0),
                new StopRules(10, Set.of(), List.of(), 128), true, lm.tokenizer);

        DecodingOutcome remote = Decoder.decode(plan, TritonLogitsStream.on(client, ENTRY), TokenListener.NONE, new Cancellation());
        DecodingOutcome local = Decoder.decode(plan, lm.sessions(), TokenListener.NONE, new Cancellation());

        assertThat(remote.tokenIds()).containsExactly(local.tokenIds());
        assertThat(remote.tokens()).hasSize(10);
        // JSD(P || Q) changes by at most ln 2 times the largest change of either stream's logits:
        // dJSD/dz_i = p_i (log(p_i / m_i) - KL(P || M)) / 2 with |log(p_i / m_i)| <= ln 2, so the
        // gradient's 1-norm is at most ln 2; the two streams' logit bounds come from the in-process
        // sessions replaying the same tokens
        try (DecodingSession withContext = new DecodingSession(lm.model, lm.manager);
                DecodingSession without = new DecodingSession(lm.model, lm.manager)) {
            long[] first = PromptTokens.concat(tokens.prefix(), tokens.context(), tokens.prompt());
            long[] second = PromptTokens.concat(tokens.prefix(), tokens.prompt());
            float[] p = withContext.prefill(first);
            float[] q = without.prefill(second);
            for (int i = 0; i < 10; i++) {
                double tolerance = Math.log(2) * (logitTolerance(first.length + i, p) + logitTolerance(second.length + i, q));
                assertThat(remote.tokens().get(i).diagnostics().alpha())
                        .isCloseTo(local.tokens().get(i).diagnostics().alpha(), within(tolerance));
                p = withContext.step(local.tokens().get(i).id());
                q = without.step(local.tokens().get(i).id());
            }
        }
        assertThat(activeSequences()).isZero();
    }

    @Test
    void theTwoStreamsOfCadStepTogetherInOneBatchOnABatchingEntry() {
        PromptTokens tokens = new PromptTokens(lm.bos(), lm.tokenizer.encode("Ada likes "), lm.tokenizer.encode("Ada likes soup. "), null);
        DecodingPlan plan = DecodingPlan.of(ContextContrast.cad(0.5), tokens, GenerationConfig.greedy(0),
                new StopRules(12, Set.of(), List.of(), 128), false, lm.tokenizer);

        DecodingOutcome remote = Decoder.decode(plan, TritonLogitsStream.on(client, BATCHING_ENTRY), TokenListener.NONE, new Cancellation());
        DecodingOutcome local = Decoder.decode(plan, lm.sessions(), TokenListener.NONE, new Cancellation());

        assertThat(remote.tokenIds()).containsExactly(local.tokenIds());
        // sent one after the other, the second stream's step could never share the first's batch
        // (it is sent only once the first is answered); sent at once, the server pairs them
        // (every time unless a step arrives after the 2 ms queue delay on a busy machine)
        var statistics = client.statistics(BATCHING_ENTRY, "").getModelStats(0);
        long pairedSteps = statistics.getBatchStatsList().stream().filter(b -> b.getBatchSize() == 2)
                .mapToLong(b -> b.getComputeInfer().getCount()).sum();
        System.out.printf("CAD over the batching entry: %d of %d steps executed as one batch of two%n", pairedSteps, remote.tokens().size() - 1);
        assertThat(pairedSteps).as("steps executed as a batch of two").isPositive();
    }

    @Test
    void cancellingMidwayStopsAtTheNextStepAndFreesTheSequences() {
        PromptTokens tokens = new PromptTokens(lm.bos(), lm.tokenizer.encode("Bob saw a "), lm.tokenizer.encode("Bob saw a fox. "), null);
        DecodingPlan plan = DecodingPlan.of(ContextContrast.cad(0.5), tokens, GenerationConfig.greedy(0),
                new StopRules(50, Set.of(), List.of(), 128), false, lm.tokenizer);
        Cancellation cancellation = new Cancellation();
        int[] seenWhileRunning = {-1};

        DecodingOutcome outcome = Decoder.decode(plan, TritonLogitsStream.on(client, ENTRY), token -> {
            if (token.index() == 2) {
                seenWhileRunning[0] = activeSequences();
                cancellation.cancel();
            }
        }, cancellation);

        assertThat(seenWhileRunning[0]).isEqualTo(2);
        assertThat(outcome.finishReason()).isEqualTo(FinishReason.CANCELLED);
        assertThat(outcome.tokens()).hasSize(3);
        assertThat(activeSequences()).isZero();
    }

    @Test
    void aSequenceThatFillsTheContextIsStillEnded() {
        long[] prompt = concat(lm.bos(), lm.tokenizer.encode("9+9=18. ".repeat(15)));
        DecodingPlan plan = DecodingPlan.of(new PlainDecoding("greedy"), PromptTokens.of(new long[0], prompt), GenerationConfig.greedy(0),
                new StopRules(100, Set.of(), List.of(), 128), false, lm.tokenizer);

        DecodingOutcome outcome = Decoder.decode(plan, TritonLogitsStream.on(client, ENTRY), TokenListener.NONE, new Cancellation());

        assertThat(outcome.finishReason()).isEqualTo(FinishReason.CONTEXT_FULL);
        assertThat(prompt.length + outcome.tokens().size()).isEqualTo(129);
        assertThat(activeSequences()).isZero();
    }

    private int activeSequences() {
        return server.models().resolve(ENTRY, "").activeSequences();
    }

    private static long[] concat(long[] a, long[] b) {
        return PromptTokens.concat(a, b);
    }

    private float logitTolerance(int positions, float[] logits) {
        return (float) FloatTolerances.decoderLogits(lm.model.config(), positions, FloatTolerances.largestAbs(logits));
    }
}
