package dev.divergence.inference.generation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.inference.InferenceTestBase;
import dev.divergence.inference.decoding.LogitsStream;
import dev.divergence.inference.decoding.TritonLogitsStream;
import dev.divergence.inference.models.CatalogWaits;
import dev.divergence.inference.models.ModelCatalog;
import dev.divergence.inference.models.TritonNames;
import dev.divergence.modelserver.ModelServer;
import dev.divergence.modelserver.client.TritonClient;
import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.proto.inference.v1.DecodingStrategy;
import dev.divergence.proto.inference.v1.GenerateEvent;
import dev.divergence.proto.inference.v1.GenerateRequest;
import dev.divergence.proto.inference.v1.GenerationServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.context.annotation.Primary;

/**
 * Clients that leave mid-stream stop decoding and free the model server's sequences. The tiny LM
 * decodes a whole answer in well under a second, faster than a client can read one event and
 * hang up, so here every decoding step of the real Triton-backed streams takes 20 ms more, as on
 * a slow model; leaving after the first token is then surely leaving in the middle.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Import(GenerationCancellationIT.SlowSteps.class)
class GenerationCancellationIT extends InferenceTestBase {

    private static final String MODEL = "tiny-lm";
    private static final long STEP_DELAY_MS = 20;
    /** Sampling at a high temperature rarely meets eos; the seed makes the natural length the same every time. */
    private static final String LONG_CAD = """
            {"model":"tiny-lm","prompt":"Ada likes ","context":"Ada likes soup. ","strategy":{"name":"cad","alpha":0.5},
             "maxTokens":100,"temperature":3.0,"seed":11}""";

    @TestConfiguration
    static class SlowSteps {

        @Bean
        @Primary
        DecodingBackend slowDecodingBackend(TritonClient client) {
            return model -> () -> new SlowStream(TritonLogitsStream.on(client, TritonNames.decoding(model)).open());
        }
    }

    private record SlowStream(LogitsStream stream) implements LogitsStream {

        @Override
        public float[] prefill(long[] promptIds) {
            return stream.prefill(promptIds);
        }

        @Override
        public float[] step(long token) {
            try {
                Thread.sleep(STEP_DELAY_MS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return stream.step(token);
        }

        @Override
        public void close() {
            stream.close();
        }
    }

    @LocalServerPort int port;
    @Autowired GrpcServerLifecycle grpc;
    @Autowired ModelServer server;
    @Autowired ModelCatalog catalog;
    @Autowired MeterRegistry meters;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private ManagedChannel channel;
    private int naturalLength;

    @BeforeAll
    void measureTheWholeGeneration() throws Exception {
        CatalogWaits.ready(catalog, MODEL);
        channel = ManagedChannelBuilder.forAddress("localhost", grpc.port()).usePlaintext().build();
        HttpResponse<String> whole = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/api/v1/inference/generate"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(LONG_CAD)).build(),
                HttpResponse.BodyHandlers.ofString());
        naturalLength = GenerationApiIT.JSON.readTree(whole.body()).get("tokens").size();
        assertThat(naturalLength).as("the request generates long enough to leave in the middle").isGreaterThan(20);
    }

    @AfterAll
    void closeChannel() {
        channel.shutdownNow();
    }

    @Test
    void anSseClientThatDisconnectsMidStreamFreesTheSequences() throws Exception {
        double before = generatedTokens();
        HttpResponse<InputStream> response = http.send(HttpRequest.newBuilder(
                        URI.create("http://localhost:" + port + "/api/v1/inference/generate/stream"))
                .header("Content-Type", "application/json").header("Accept", "text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString(LONG_CAD)).build(), HttpResponse.BodyHandlers.ofInputStream());
        InputStream body = response.body();
        BufferedReader reader = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
        assertThat(GenerationApiIT.events(reader).next().getKey()).isEqualTo("token");
        assertThat(activeSequences()).as("both streams decoding").isEqualTo(2);
        body.close();

        awaitNoActiveSequences();
        double generated = settledCount() - before;
        System.out.printf("SSE client left after 1 of %d tokens; decoding stopped after %.0f%n", naturalLength, generated);
        assertThat(generated).as("decoding stopped before its natural end").isLessThan(naturalLength);
    }

    @Test
    void aGrpcClientThatCancelsMidStreamFreesTheSequences() throws Exception {
        double before = generatedTokens();
        GenerateRequest request = GenerateRequest.newBuilder().setModel(MODEL).setPrompt("Ada likes ").setContext("Ada likes soup. ")
                .setStrategy(DecodingStrategy.newBuilder().setName("cad").setAlpha(0.5)).setMaxTokens(100).setTemperature(3.0).setSeed(11)
                .build();
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        int[] activeWhileStreaming = {-1};

        GenerationServiceGrpc.newStub(channel).generateStream(request, new ClientResponseObserver<GenerateRequest, GenerateEvent>() {
            private ClientCallStreamObserver<GenerateRequest> call;

            @Override
            public void beforeStart(ClientCallStreamObserver<GenerateRequest> call) {
                this.call = call;
            }

            @Override
            public void onNext(GenerateEvent event) {
                if (activeWhileStreaming[0] < 0) {
                    activeWhileStreaming[0] = activeSequences();
                    call.cancel("client leaves after the first token", null);
                }
            }

            @Override
            public void onError(Throwable t) {
                ended.complete(t);
            }

            @Override
            public void onCompleted() {
                ended.complete(null);
            }
        });

        assertThat(Status.fromThrowable(ended.get(30, TimeUnit.SECONDS)).getCode()).isEqualTo(Status.Code.CANCELLED);
        assertThat(activeWhileStreaming[0]).as("both streams decoding").isEqualTo(2);
        awaitNoActiveSequences();
        double generated = settledCount() - before;
        System.out.printf("gRPC client cancelled after 1 of %d tokens; decoding stopped after %.0f%n", naturalLength, generated);
        assertThat(generated).as("decoding stopped before its natural end").isLessThan(naturalLength);
    }

    private int activeSequences() {
        return server.models().resolve(TritonNames.decoding(MODEL), "").activeSequences();
    }

    private void awaitNoActiveSequences() throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (activeSequences() > 0 && System.nanoTime() < end) {
            Thread.sleep(20);
        }
        assertThat(activeSequences()).isZero();
    }

    private double generatedTokens() {
        var counter = meters.find(GenerationMetrics.TOKENS).tag("model", MODEL).tag("strategy", "cad").counter();
        return counter == null ? 0 : counter.count();
    }

    /** The last step may still be counted just after the sequences are ended; wait until the count stops moving. */
    private double settledCount() throws InterruptedException {
        double last = -1;
        while (generatedTokens() != last) {
            last = generatedTokens();
            Thread.sleep(10 * STEP_DELAY_MS);
        }
        return last;
    }
}
