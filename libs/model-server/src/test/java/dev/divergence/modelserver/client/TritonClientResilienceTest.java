package dev.divergence.modelserver.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.divergence.proto.triton.GRPCInferenceServiceGrpc;
import dev.divergence.proto.triton.ModelInferRequest;
import dev.divergence.proto.triton.ModelStreamInferResponse;
import dev.divergence.proto.triton.ServerLiveRequest;
import dev.divergence.proto.triton.ServerLiveResponse;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Retries and the circuit breaker of {@link TritonClient}, observed from the server's side: a
 * gRPC server on a real socket that answers ServerLive with the status a test scripts (UNAVAILABLE
 * as Triton does while a model is swapped, INVALID_ARGUMENT, a slow answer) and counts every
 * attempt that reaches it. The client is built with {@link TritonClient#connect}, as services do.
 */
class TritonClientResilienceTest {

    /** What the server answers to one ServerLive attempt. */
    private record Answer(Status status, long delayMillis) {

        static Answer ok() {
            return new Answer(Status.OK, 0);
        }

        static Answer fail(Status.Code code) {
            return new Answer(Status.fromCode(code).withDescription("scripted " + code), 0);
        }
    }

    private final AtomicInteger attempts = new AtomicInteger();
    private final AtomicInteger streams = new AtomicInteger();
    /** Attempt number (1-based) to answer; the last answer repeats. */
    private final AtomicReference<List<Answer>> script = new AtomicReference<>(List.of(Answer.ok()));
    private final AtomicReference<CountDownLatch> holdAnswers = new AtomicReference<>(new CountDownLatch(0));
    private Server server;

    @BeforeEach
    void startServer() throws Exception {
        server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
                .addService(new GRPCInferenceServiceGrpc.GRPCInferenceServiceImplBase() {
                    @Override
                    public void serverLive(ServerLiveRequest request, StreamObserver<ServerLiveResponse> response) {
                        List<Answer> answers = script.get();
                        Answer answer = answers.get(Math.min(attempts.incrementAndGet(), answers.size()) - 1);
                        try {
                            holdAnswers.get().await(10, TimeUnit.SECONDS);
                            Thread.sleep(answer.delayMillis());
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                        if (answer.status().isOk()) {
                            response.onNext(ServerLiveResponse.newBuilder().setLive(true).build());
                            response.onCompleted();
                        } else {
                            response.onError(answer.status().asRuntimeException());
                        }
                    }

                    @Override
                    public StreamObserver<ModelInferRequest> modelStreamInfer(StreamObserver<ModelStreamInferResponse> response) {
                        streams.incrementAndGet();
                        response.onError(Status.UNAVAILABLE.withDescription("scripted stream failure").asRuntimeException());
                        return new StreamObserver<>() {
                            @Override
                            public void onNext(ModelInferRequest value) {
                            }

                            @Override
                            public void onError(Throwable t) {
                            }

                            @Override
                            public void onCompleted() {
                            }
                        };
                    }
                }).build().start();
    }

    @AfterEach
    void stopServer() throws InterruptedException {
        holdAnswers.get().countDown();
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    private TritonClient client(ClientOptions options) {
        return TritonClient.connect("127.0.0.1:" + server.getPort(), options);
    }

    private static ClientOptions options(int maxAttempts) {
        return ClientOptions.defaults().withDeadline(Duration.ofSeconds(10))
                .withRetries(maxAttempts, Duration.ofMillis(20), Duration.ofMillis(40)).withBreaker(100, Duration.ofSeconds(10));
    }

    @Test
    void unavailableIsRetriedUntilTheServerAnswers() {
        script.set(List.of(Answer.fail(Status.Code.UNAVAILABLE), Answer.fail(Status.Code.UNAVAILABLE), Answer.ok()));
        try (TritonClient client = client(options(3))) {
            assertThat(client.serverLive()).isTrue();
        }
        assertThat(attempts).hasValue(3);
    }

    @Test
    void retriesStopAtMaxAttemptsAndReportUnavailable() {
        script.set(List.of(Answer.fail(Status.Code.UNAVAILABLE)));
        try (TritonClient client = client(options(4))) {
            assertCode(Status.Code.UNAVAILABLE, client::serverLive);
        }
        assertThat(attempts).hasValue(4);
    }

    @Test
    void otherCodesAreNotRetried() {
        script.set(List.of(Answer.fail(Status.Code.INVALID_ARGUMENT), Answer.ok()));
        try (TritonClient client = client(options(4))) {
            assertCode(Status.Code.INVALID_ARGUMENT, client::serverLive);
        }
        assertThat(attempts).hasValue(1);
    }

    @Test
    void aStreamIsNotRetried() {
        try (TritonClient client = client(options(4))) {
            assertCode(Status.Code.UNAVAILABLE, () -> client.streamInfer(List.of(ModelInferRequest.newBuilder().setModelName("m").build())));
        }
        assertThat(streams).hasValue(1);
    }

    @Test
    void theDeadlineBoundsTheWholeCallRetriesIncluded() {
        // every attempt answers UNAVAILABLE after 500 ms: five attempts take at least 2.5 s, the deadline is 600 ms
        script.set(List.of(new Answer(Status.UNAVAILABLE.withDescription("slow and unavailable"), 500)));
        ClientOptions options = options(5).withDeadline(Duration.ofMillis(600));
        try (TritonClient client = client(options)) {
            long start = System.nanoTime();
            assertCode(Status.Code.DEADLINE_EXCEEDED, client::serverLive);
            // 600 ms plus slack for connecting on a loaded machine, well below the 2.5 s of per-attempt deadlines
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(2000));
        }
        assertThat(attempts.get()).isBetween(1, 2);
    }

    @Test
    void theBreakerOpensAfterConsecutiveFailedCallsAndFailsFastWithoutReachingTheServer() {
        script.set(List.of(Answer.fail(Status.Code.UNAVAILABLE)));
        try (TritonClient client = client(options(2).withBreaker(3, Duration.ofMinutes(1)))) {
            for (int call = 0; call < 3; call++) {
                assertThat(client.circuitOpen()).as("open before call " + (call + 1)).isFalse();
                assertCode(Status.Code.UNAVAILABLE, client::serverLive);
            }
            assertThat(client.circuitOpen()).isTrue();
            assertThat(attempts).as("3 calls of 2 attempts").hasValue(6);
            assertThatThrownBy(client::serverLive).isInstanceOfSatisfying(StatusRuntimeException.class,
                    e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE)).hasMessageContaining("circuit open");
            assertThat(attempts).as("no attempt while open").hasValue(6);
        }
    }

    @Test
    void aSuccessOrARequestErrorResetsTheCountOfConsecutiveFailures() {
        script.set(List.of(Answer.fail(Status.Code.UNAVAILABLE), Answer.fail(Status.Code.UNAVAILABLE), Answer.ok(),
                Answer.fail(Status.Code.UNAVAILABLE), Answer.fail(Status.Code.UNAVAILABLE), Answer.fail(Status.Code.INVALID_ARGUMENT),
                Answer.fail(Status.Code.UNAVAILABLE), Answer.fail(Status.Code.UNAVAILABLE)));
        try (TritonClient client = client(options(1).withBreaker(3, Duration.ofMinutes(1)))) {
            assertCode(Status.Code.UNAVAILABLE, client::serverLive);
            assertCode(Status.Code.UNAVAILABLE, client::serverLive);
            assertThat(client.serverLive()).isTrue();
            assertCode(Status.Code.UNAVAILABLE, client::serverLive);
            assertCode(Status.Code.UNAVAILABLE, client::serverLive);
            // the server answered: a request error says nothing about its health
            assertCode(Status.Code.INVALID_ARGUMENT, client::serverLive);
            assertCode(Status.Code.UNAVAILABLE, client::serverLive);
            assertCode(Status.Code.UNAVAILABLE, client::serverLive);
            assertThat(client.circuitOpen()).isFalse();
            assertThat(attempts).hasValue(8);
        }
    }

    @Test
    void afterTheOpenTimeOneTrialCallDecidesAndOnlyOneAtATime() throws Exception {
        script.set(List.of(Answer.fail(Status.Code.UNAVAILABLE)));
        Duration openFor = Duration.ofMillis(300);
        try (TritonClient client = client(options(1).withBreaker(1, openFor))) {
            assertCode(Status.Code.UNAVAILABLE, client::serverLive);
            assertThat(client.circuitOpen()).isTrue();
            Thread.sleep(openFor.toMillis() + 100);
            assertCode(Status.Code.UNAVAILABLE, client::serverLive); // the trial reaches the server and fails
            assertThat(attempts).hasValue(2);
            assertThatThrownBy(client::serverLive).hasMessageContaining("circuit open"); // a failed trial reopens
            assertThat(attempts).hasValue(2);

            Thread.sleep(openFor.toMillis() + 100);
            script.set(List.of(Answer.ok()));
            holdAnswers.set(new CountDownLatch(1));
            CompletableFuture<Boolean> trial = CompletableFuture.supplyAsync(client::serverLive);
            long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
            while (attempts.get() < 3 && System.nanoTime() < until) {
                Thread.sleep(10);
            }
            assertThat(attempts).as("the trial reached the server").hasValue(3);
            assertThatThrownBy(client::serverLive).as("a second call during the trial").hasMessageContaining("circuit open");
            holdAnswers.get().countDown();
            assertThat(trial.get(5, TimeUnit.SECONDS)).isTrue();
            assertThat(client.circuitOpen()).as("a successful trial closes the circuit").isFalse();
            assertThat(client.serverLive()).isTrue();
        }
    }

    private static void assertCode(Status.Code code, ThrowingCallable call) {
        assertThatThrownBy(call).isInstanceOfSatisfying(StatusRuntimeException.class,
                e -> assertThat(e.getStatus().getCode()).as(e.getStatus().toString()).isEqualTo(code));
    }
}
