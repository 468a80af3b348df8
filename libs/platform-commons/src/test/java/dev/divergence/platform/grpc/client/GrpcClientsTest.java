package dev.divergence.platform.grpc.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.divergence.platform.grpc.ExceptionMappingInterceptor;
import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.platform.grpc.GrpcServerProperties;
import dev.divergence.platform.grpc.TextRulesInterceptor;
import dev.divergence.platform.tenancy.IdentityPolicy;
import dev.divergence.platform.tenancy.IdentityProperties;
import dev.divergence.platform.tenancy.TenantContext;
import dev.divergence.platform.tenancy.TenantScope;
import dev.divergence.platform.tenancy.TenantServerInterceptor;
import dev.divergence.platform.web.RequestIdFilter;
import dev.divergence.proto.training.v1.GetJobMetricsRequest;
import dev.divergence.proto.training.v1.JobMetrics;
import dev.divergence.proto.training.v1.TrainingServiceGrpc;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

/**
 * The client setup against a real gRPC server over a socket, with platform-commons' own server
 * interceptors: what the called service sees of the deadline, tenant, request id and caller, and how
 * UNAVAILABLE is retried.
 */
class GrpcClientsTest {

  /** What the server saw of the last call. */
  private record Seen(String tenant, String requestId, String caller, Long deadlineMillis) {}

  private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
  private volatile Seen seen;
  private GrpcServerLifecycle server;
  private GrpcClients clients;

  @BeforeEach
  void startServer() {
    TrainingServiceGrpc.TrainingServiceImplBase service = new TrainingServiceGrpc.TrainingServiceImplBase() {
      @Override
      public void getJobMetrics(GetJobMetricsRequest request, StreamObserver<JobMetrics> response) {
        String job = request.getJobId();
        int attempt = attempts.computeIfAbsent(job, k -> new AtomicInteger()).incrementAndGet();
        Deadline deadline = Context.current().getDeadline();
        seen = new Seen(TenantContext.current(), MDC.get(RequestIdFilter.MDC_KEY), MDC.get(TenantServerInterceptor.CALLER_MDC_KEY),
            deadline == null ? null : deadline.timeRemaining(TimeUnit.MILLISECONDS));
        if (job.startsWith("unavailable-for-")) {
          int failures = Integer.parseInt(job.substring("unavailable-for-".length()));
          if (attempt <= failures) {
            response.onError(Status.UNAVAILABLE.withDescription("attempt " + attempt + " refused").asRuntimeException());
            return;
          }
        }
        if (job.equals("no-such-job")) {
          response.onError(Status.NOT_FOUND.withDescription("job no-such-job not found").asRuntimeException());
          return;
        }
        if (job.startsWith("sleep-")) {
          try {
            Thread.sleep(Long.parseLong(job.substring("sleep-".length())));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        response.onNext(JobMetrics.newBuilder().setJobId(job).build());
        response.onCompleted();
      }
    };
    server = new GrpcServerLifecycle(new GrpcServerProperties(0, null, 1), List.of(service),
        List.of(new ExceptionMappingInterceptor(), new TextRulesInterceptor(), new TenantServerInterceptor()));
    server.start();
  }

  @AfterEach
  void stop() {
    if (clients != null) {
      clients.close();
    }
    server.stop();
    MDC.clear();
  }

  private TrainingServiceGrpc.TrainingServiceBlockingStub stub(GrpcClientProperties settings) {
    clients = new GrpcClients(Map.of("training", settings), "evaluation", List.of());
    return TrainingServiceGrpc.newBlockingStub(clients.channel("training"));
  }

  private static GrpcClientProperties settings(String target, Duration deadline, int maxAttempts) {
    return new GrpcClientProperties(target, deadline, maxAttempts, Duration.ofMillis(10), Duration.ofMillis(50), null);
  }

  private String target() {
    return "localhost:" + server.port();
  }

  private static GetJobMetricsRequest job(String id) {
    return GetJobMetricsRequest.newBuilder().setJobId(id).build();
  }

  @Test
  void aCallWithoutADeadlineGetsTheConfiguredOne() {
    var training = stub(settings(target(), Duration.ofSeconds(7), 1));

    training.getJobMetrics(job("plain"));

    // the server measures the remaining time after the call travelled: a little under 7 s
    assertThat(seen.deadlineMillis()).isNotNull().isBetween(5_000L, 7_000L);
  }

  @Test
  void aCallersOwnDeadlineIsKept() {
    var training = stub(settings(target(), Duration.ofSeconds(7), 1));

    training.withDeadlineAfter(60, TimeUnit.SECONDS).getJobMetrics(job("patient"));

    assertThat(seen.deadlineMillis()).isBetween(50_000L, 60_000L);
  }

  @Test
  void aStuckServerEndsTheCallAtTheDeadline() {
    var training = stub(settings(target(), Duration.ofMillis(300), 1));
    long start = System.nanoTime();

    assertThatThrownBy(() -> training.getJobMetrics(job("sleep-3000")))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(2_500));
  }

  @Test
  void tenantRequestIdAndCallerReachTheCalledService() {
    var training = stub(settings(target(), Duration.ofSeconds(5), 1));
    MDC.put(RequestIdFilter.MDC_KEY, "req-42");

    TenantScope.as("acme-labs", () -> training.getJobMetrics(job("tenanted")));

    assertThat(seen).isEqualTo(new Seen("acme-labs", "req-42", "evaluation", seen.deadlineMillis()));
  }

  @Test
  void withoutATenantTheCalledServiceWorksForTheDefaultTenant() {
    var training = stub(settings(target(), Duration.ofSeconds(5), 1));

    training.getJobMetrics(job("untenanted"));

    assertThat(seen.tenant()).isEqualTo(TenantContext.DEFAULT_TENANT);
    assertThat(seen.requestId()).isNull();
  }

  @Test
  void aMalformedTenantIsInvalidArgumentNamingTheKeyAndNeverReachesTheService() throws InterruptedException {
    ManagedChannel raw = ManagedChannelBuilder.forTarget(target()).usePlaintext().build();
    try {
      Metadata headers = new Metadata();
      headers.put(TenantServerInterceptor.TENANT, "Not A Tenant");
      var training = TrainingServiceGrpc.newBlockingStub(raw).withDeadlineAfter(5, TimeUnit.SECONDS)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));

      assertThatThrownBy(() -> training.getJobMetrics(job("bad-tenant")))
          .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).contains("x-tenant-id").contains("Not A Tenant");
          });
      assertThat(attempts).doesNotContainKey("bad-tenant");
    } finally {
      raw.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void unavailableIsRetriedUntilTheServerAnswers() {
    var training = stub(settings(target(), Duration.ofSeconds(10), 4));

    JobMetrics answer = training.getJobMetrics(job("unavailable-for-2"));

    assertThat(answer.getJobId()).isEqualTo("unavailable-for-2");
    assertThat(attempts.get("unavailable-for-2")).hasValue(3);
  }

  @Test
  void afterMaxAttemptsTheCallerSeesUnavailable() {
    var training = stub(settings(target(), Duration.ofSeconds(10), 3));

    assertThatThrownBy(() -> training.getJobMetrics(job("unavailable-for-99")))
        .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
          assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
          assertThat(e.getStatus().getDescription()).isEqualTo("attempt 3 refused");
        });
    assertThat(attempts.get("unavailable-for-99")).hasValue(3);
  }

  @Test
  void otherCodesAreNotRetried() {
    var training = stub(settings(target(), Duration.ofSeconds(10), 4));

    // NOT_FOUND is the server's answer: asking again cannot change it
    assertThatThrownBy(() -> training.getJobMetrics(job("no-such-job")))
        .isInstanceOfSatisfying(StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
    assertThat(attempts.get("no-such-job")).hasValue(1);
  }

  @Test
  void moreAttemptsThanGrpcsDefaultCapOfFiveAreHonoured() {
    var training = stub(settings(target(), Duration.ofSeconds(10), 7));

    training.getJobMetrics(job("unavailable-for-6"));

    assertThat(attempts.get("unavailable-for-6")).hasValue(7);
  }

  @Test
  void aClientWithoutATargetNamesTheMissingProperty() {
    clients = new GrpcClients(Map.of(), "evaluation", List.of());

    assertThatThrownBy(() -> clients.channel("inference"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("divergence.clients.inference.target is not set");
  }

  @Test
  void theSameChannelIsSharedAndNoneIsHandedOutAfterClose() {
    clients = new GrpcClients(Map.of("training", GrpcClientProperties.forTarget(target())), "evaluation", List.of());

    assertThat(clients.channel("training")).isSameAs(clients.channel("training"));
    clients.close();

    assertThatThrownBy(() -> clients.channel("training")).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aVerifyingServerBelievesOnlyTheTenantOfASignedIdentity() {
    String secret = java.util.Base64.getEncoder().encodeToString(new byte[32]);
    IdentityPolicy verifying = IdentityPolicy.from(new IdentityProperties(IdentityProperties.Mode.VERIFY, secret, null),
        "training", java.time.Clock.systemUTC());
    server.stop();
    server = new GrpcServerLifecycle(new GrpcServerProperties(0, null, 1), List.of(new TrainingServiceGrpc.TrainingServiceImplBase() {
      @Override
      public void getJobMetrics(GetJobMetricsRequest request, StreamObserver<JobMetrics> response) {
        seen = new Seen(TenantContext.current(), TenantContext.caller().map(c -> c.subject()).orElse(null), null, null);
        response.onNext(JobMetrics.newBuilder().setJobId(request.getJobId()).build());
        response.onCompleted();
      }
    }), List.of(new ExceptionMappingInterceptor(), new TenantServerInterceptor(verifying)));
    server.start();

    // a caller going around the gateway: a plain tenant header proves nothing
    ManagedChannel direct = ManagedChannelBuilder.forTarget(target()).usePlaintext().build();
    try {
      Metadata claimsAcme = new Metadata();
      claimsAcme.put(TenantServerInterceptor.TENANT, "acme");
      var unsigned = TrainingServiceGrpc.newBlockingStub(direct).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(claimsAcme));
      assertThatThrownBy(() -> unsigned.getJobMetrics(job("direct")))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    } finally {
      direct.shutdownNow();
    }

    // another service holding the secret: its background work goes out signed as itself, for the tenant
    clients = new GrpcClients(Map.of("training", GrpcClientProperties.forTarget(target())), "evaluation", List.of(),
        IdentityPolicy.from(new IdentityProperties(IdentityProperties.Mode.VERIFY, secret, null), "evaluation",
            java.time.Clock.systemUTC()));
    var training = TrainingServiceGrpc.newBlockingStub(clients.channel("training"));
    TenantContext.runAs("acme", () -> training.getJobMetrics(job("signed")));
    assertThat(seen.tenant()).isEqualTo("acme");
    assertThat(seen.requestId()).as("the caller's subject").isEqualTo("service:evaluation");
  }
}
