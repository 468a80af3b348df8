package dev.divergence.gateway.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import dev.divergence.gateway.TestJwtIssuer;
import dev.divergence.gateway.auth.ApiKeySecret;
import dev.divergence.gateway.auth.ApiKeyService;
import dev.divergence.platform.tenancy.CallerIdentity;
import dev.divergence.platform.tenancy.Roles;
import dev.divergence.platform.tenancy.TenantServerInterceptor;
import dev.divergence.platform.test.EmbeddedInfrastructureExtension;
import dev.divergence.proto.inference.v1.ListModelsRequest;
import dev.divergence.proto.inference.v1.ModelServiceGrpc;
import dev.divergence.proto.training.v1.GetJobRequest;
import dev.divergence.proto.training.v1.Job;
import dev.divergence.proto.training.v1.JobUpdate;
import dev.divergence.proto.training.v1.SubmitJobRequest;
import dev.divergence.proto.training.v1.TrainingServiceGrpc;
import dev.divergence.proto.training.v1.WatchJobRequest;
import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.reflection.v1.ServiceResponse;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The real gateway's gRPC entry point on a free port, in front of a real gRPC server standing in for
 * the training service (it verifies the gateway's signed identity as a service does); inference,
 * evaluation and merging are down. Calls are made with the generated stubs other teams use.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@ExtendWith(EmbeddedInfrastructureExtension.class)
class GrpcEntryPointTest {

  /** The identity secret gateway and services share (a test value; deployments make their own). */
  static final String IDENTITY_SECRET = java.util.Base64.getEncoder().encodeToString(
      "gateway-test-identity-secret-32b".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
  static final String ADMIN_KEY = ApiKeySecret.generate().text();
  static final TestJwtIssuer ISSUER = TestJwtIssuer.start();
  static final StandInTrainingService TRAINING = StandInTrainingService.start(IDENTITY_SECRET);
  static final int CLOSED_PORT = dev.divergence.platform.test.net.DownPort.reserve().port();
  static final long DEFAULT_DEADLINE_MILLIS = 42_000;
  // small buckets, so a test empties one; each test that does uses a key of its own (buckets are per caller)
  static final int SUBMISSIONS = 5;
  static final int GENERATION_TOKENS = 100;
  static final Metadata.Key<String> CUSTOM = Metadata.Key.of("x-custom", Metadata.ASCII_STRING_MARSHALLER);

  @DynamicPropertySource
  static void settings(DynamicPropertyRegistry registry) {
    registry.add("divergence.security.identity.secret", () -> IDENTITY_SECRET);
    registry.add("divergence.gateway.auth.bootstrap-admin-key", () -> ADMIN_KEY);
    registry.add("spring.security.oauth2.resourceserver.jwt.jwk-set-uri", ISSUER::jwkSetUri);
    registry.add("divergence.gateway.grpc.port", () -> 0);
    registry.add("divergence.gateway.grpc.default-deadline", () -> DEFAULT_DEADLINE_MILLIS + "ms");
    registry.add("divergence.gateway.grpc.services.training.target", TRAINING::target);
    registry.add("divergence.gateway.rate-limits.submissions.capacity", () -> SUBMISSIONS);
    registry.add("divergence.gateway.rate-limits.submissions.period", () -> "1h");
    registry.add("divergence.gateway.rate-limits.generation-tokens.capacity", () -> GENERATION_TOKENS);
    registry.add("divergence.gateway.rate-limits.generation-tokens.period", () -> "1h");
    for (String down : List.of("inference", "evaluation", "merging")) {
      registry.add("divergence.gateway.grpc.services." + down + ".target", () -> "127.0.0.1:" + CLOSED_PORT);
    }
    // REST calls in these tests only draw on rate limits; no service answers them
    for (String service : List.of("training", "inference", "evaluation", "merging")) {
      registry.add("divergence.gateway.services." + service + ".uri", () -> "http://127.0.0.1:" + CLOSED_PORT);
    }
  }

  @org.springframework.boot.test.web.server.LocalServerPort
  int restPort;
  @Autowired
  GrpcEntryPoint entryPoint;
  @Autowired
  ApiKeyService keys;
  @Autowired
  io.micrometer.core.instrument.MeterRegistry meters;

  ManagedChannel gateway;

  @BeforeEach
  void connect() {
    gateway = NettyChannelBuilder.forAddress("127.0.0.1", entryPoint.port()).usePlaintext().build();
    TRAINING.last = null;
  }

  @AfterEach
  void disconnect() throws InterruptedException {
    gateway.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stopStandIn() {
    TRAINING.stop();
  }

  // --- authentication and roles ---

  @Test
  void aCallWithoutCredentialsIsUnauthenticatedAndNeverReachesTheService() {
    assertThatThrownBy(() -> training(new Metadata()).getJob(GetJobRequest.newBuilder().setJobId("j").build()))
        .satisfies(error -> {
          assertThat(codeOf(error)).isEqualTo(Status.Code.UNAUTHENTICATED);
          assertThat(errorInfo(error).getReason()).isEqualTo("UNAUTHENTICATED");
          assertThat(errorInfo(error).getDomain()).isEqualTo(GatewayStatus.DOMAIN);
        });
    assertThat(TRAINING.last).isNull();
  }

  @Test
  void aRefusalCarriesARequestIdTheGatewayMadeWhenTheCallersWasNotSane() {
    Metadata sent = new Metadata();
    sent.put(TenantServerInterceptor.REQUEST_ID, "spaces and ; are not sane");
    assertThatThrownBy(() -> training(sent).getJob(GetJobRequest.newBuilder().setJobId("j").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, error ->
            assertThat(error.getTrailers().get(TenantServerInterceptor.REQUEST_ID))
                .matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"));
  }

  @Test
  void unknownRevokedOrDoubledKeysMalformedAuthorizationAndForeignOrRolelessJwtsAreUnauthenticated() {
    List<Metadata> refused = List.of(
        apiKey(ApiKeySecret.generate().text()),
        header(GrpcCallerAuthenticator.AUTHORIZATION, "Basic YWRtaW46YWRtaW4="),
        bearer("not-a-jwt"),
        bearer(ISSUER.tokenFromAnotherIssuer("mallory", Map.of("tenant", "acme", "roles", List.of("admin")), inTenMinutes())),
        bearer(ISSUER.token("nobody", Map.of("tenant", "acme", "roles", List.of("owner")), inTenMinutes())),
        bearer(revokedKey()),
        both(ADMIN_KEY));
    for (Metadata credentials : refused) {
      assertThatThrownBy(() -> training(credentials).getJob(GetJobRequest.newBuilder().setJobId("j").build()))
          .satisfies(error -> assertThat(codeOf(error)).isEqualTo(Status.Code.UNAUTHENTICATED));
    }
    assertThat(TRAINING.last).isNull();
  }

  @Test
  void aViewerMayReadAndWatchButNotSubmit() {
    Metadata viewer = apiKey(key("acme", Roles.VIEWER));
    assertThat(training(viewer).getJob(GetJobRequest.newBuilder().setJobId("j").build()).getJobId()).isEqualTo("j");
    assertThat(training(viewer).watchJob(WatchJobRequest.newBuilder().setJobId("j").build())).toIterable().hasSize(3);

    TRAINING.last = null;
    assertThatThrownBy(() -> training(viewer).submitJob(SubmitJobRequest.newBuilder().setDisplayName("x").build()))
        .satisfies(error -> {
          assertThat(codeOf(error)).isEqualTo(Status.Code.PERMISSION_DENIED);
          assertThat(error).hasMessageContaining("submitter");
          assertThat(errorInfo(error).getMetadataMap())
              .containsEntry("requiredRole", Roles.SUBMITTER)
              .containsEntry("method", "dev.divergence.training.v1.TrainingService/SubmitJob");
        });
    assertThat(TRAINING.last).as("a refused call never reaches the service").isNull();
  }

  @Test
  void theAdminKeyReachesTheServiceAsItsTenantWithTheGatewaysIdentityInPlaceOfWhatTheCallerSent() {
    Metadata sent = apiKey(ADMIN_KEY);
    // a caller trying to choose its identity, tenant and caller name: the gateway replaces all three
    sent.put(TenantServerInterceptor.IDENTITY, "forged.token.value");
    sent.put(TenantServerInterceptor.TENANT, "globex");
    sent.put(TenantServerInterceptor.CALLER, "evaluation");
    sent.put(TenantServerInterceptor.REQUEST_ID, "req-42");
    sent.put(CUSTOM, "passes through");

    java.util.concurrent.atomic.AtomicReference<Metadata> responseHeaders = new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.atomic.AtomicReference<Metadata> trailers = new java.util.concurrent.atomic.AtomicReference<>();
    Job job = training(sent).withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(responseHeaders, trailers))
        .getJob(GetJobRequest.newBuilder().setJobId("j-1").build());
    assertThat(responseHeaders.get().getAll(TenantServerInterceptor.REQUEST_ID)).as("the request id comes back").containsExactly("req-42");

    assertThat(job.getDisplayName()).isEqualTo("job of default");
    StandInTrainingService.Seen seen = TRAINING.last;
    assertThat(seen.tenant()).isEqualTo("default");
    assertThat(seen.caller().subject()).isEqualTo("key:" + ApiKeySecret.parse(ADMIN_KEY).orElseThrow().keyId());
    assertThat(seen.caller().roles()).containsExactly(Roles.ADMIN);
    Metadata received = seen.headers();
    assertThat(received.get(GrpcCallerAuthenticator.API_KEY)).as("credentials stay at the gateway").isNull();
    assertThat(received.get(GrpcCallerAuthenticator.AUTHORIZATION)).isNull();
    assertThat(received.getAll(TenantServerInterceptor.IDENTITY)).hasSize(1).doesNotContain("forged.token.value");
    assertThat(received.getAll(TenantServerInterceptor.TENANT)).containsExactly("default");
    assertThat(received.getAll(TenantServerInterceptor.CALLER)).containsExactly("gateway");
    assertThat(received.getAll(TenantServerInterceptor.REQUEST_ID)).containsExactly("req-42");
    assertThat(received.get(CUSTOM)).isEqualTo("passes through");
  }

  @Test
  void aBearerApiKeyOfAnotherTenantSubmitsInThatTenant() {
    Job job = training(bearer(key("acme", Roles.SUBMITTER)))
        .submitJob(SubmitJobRequest.newBuilder().setDisplayName("mine").build());

    assertThat(job.getDisplayName()).isEqualTo("mine");
    assertThat(TRAINING.last.tenant()).isEqualTo("acme");
    assertThat(TRAINING.last.caller().roles()).containsExactly(Roles.SUBMITTER);
  }

  @Test
  void aJwtOfTheConfiguredIssuerIsACallerOfItsTenantAndRoles() {
    Metadata alice = bearer(ISSUER.token("alice", Map.of("tenant", "globex", "roles", List.of("viewer", "unknown-role")), inTenMinutes()));

    training(alice).getJob(GetJobRequest.newBuilder().setJobId("j").build());
    assertThat(TRAINING.last.tenant()).isEqualTo("globex");
    assertThat(TRAINING.last.caller().subject()).isEqualTo("jwt:alice");
    assertThat(TRAINING.last.caller().roles()).containsExactly(Roles.VIEWER);

    assertThatThrownBy(() -> training(alice).submitJob(SubmitJobRequest.newBuilder().setDisplayName("x").build()))
        .satisfies(error -> assertThat(codeOf(error)).isEqualTo(Status.Code.PERMISSION_DENIED));
  }

  @Test
  void aCallerOfSeveralTenantsChoosesOneWithTenantMetadataAndNoOther() {
    Metadata erin = bearer(ISSUER.token("erin", Map.of("tenant", "acme", "tenants", List.of("acme", "globex"),
        "roles", List.of("viewer")), inTenMinutes()));
    training(erin).getJob(GetJobRequest.newBuilder().setJobId("j").build());
    assertThat(TRAINING.last.tenant()).isEqualTo("acme");

    erin.put(GrpcCallerAuthenticator.TENANT, "globex");
    training(erin).getJob(GetJobRequest.newBuilder().setJobId("j").build());
    assertThat(TRAINING.last.tenant()).isEqualTo("globex");
    assertThat(TRAINING.last.caller().subject()).isEqualTo("jwt:erin");

    Metadata umbrella = bearer(ISSUER.token("erin", Map.of("tenant", "acme", "tenants", List.of("acme", "globex"),
        "roles", List.of("viewer")), inTenMinutes()));
    umbrella.put(GrpcCallerAuthenticator.TENANT, "umbrella");
    assertThatThrownBy(() -> training(umbrella).getJob(GetJobRequest.newBuilder().setJobId("j").build()))
        .satisfies(error -> {
          assertThat(codeOf(error)).isEqualTo(Status.Code.PERMISSION_DENIED);
          assertThat(errorInfo(error).getReason()).isEqualTo("TENANT_NOT_ALLOWED");
          assertThat(Status.fromThrowable(error).getDescription()).contains("umbrella", "acme, globex");
        });
    Metadata keyOfDefault = apiKey(ADMIN_KEY);
    keyOfDefault.put(GrpcCallerAuthenticator.TENANT, "acme");
    assertThatThrownBy(() -> training(keyOfDefault).getJob(GetJobRequest.newBuilder().setJobId("j").build()))
        .satisfies(error -> assertThat(codeOf(error)).isEqualTo(Status.Code.PERMISSION_DENIED));
  }

  @Test
  void changesAreAuditedRefusedOnesTooAndReadsAreNot() {
    ch.qos.logback.classic.Logger auditLog = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("divergence.audit");
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> events = new ch.qos.logback.core.read.ListAppender<>();
    events.start();
    auditLog.addAppender(events);
    try {
      String viewerKey = key("acme", Roles.VIEWER);
      training(apiKey(ADMIN_KEY)).submitJob(SubmitJobRequest.newBuilder().setDisplayName("audited").build());
      training(apiKey(viewerKey)).getJob(GetJobRequest.newBuilder().setJobId("j").build());
      assertThatThrownBy(() -> training(apiKey(viewerKey)).submitJob(SubmitJobRequest.newBuilder().setDisplayName("x").build()))
          .satisfies(error -> assertThat(codeOf(error)).isEqualTo(Status.Code.PERMISSION_DENIED));
    } finally {
      auditLog.detachAppender(events);
    }
    List<Map<String, Object>> audited = events.list.stream().map(event -> {
      Map<String, Object> fields = new java.util.HashMap<>();
      event.getKeyValuePairs().forEach(pair -> fields.put(pair.key, pair.value));
      return fields;
    }).filter(fields -> "grpc".equals(fields.get("audit.method"))).toList();
    String submit = "dev.divergence.training.v1.TrainingService/SubmitJob";
    assertThat(audited).hasSize(2);
    assertThat(audited.get(0)).containsEntry("audit.path", submit).containsEntry("audit.tenant", "default")
        .containsEntry("audit.status", "OK");
    assertThat(audited.get(1)).containsEntry("audit.path", submit).containsEntry("audit.tenant", "acme")
        .containsEntry("audit.status", "PERMISSION_DENIED");
  }

  // --- rate limits: the caller's REST buckets ---

  @Test
  void submissionsBeyondTheCallersLimitAreResourceExhaustedWithRetryInfoAndRestCallsDrawOnTheSameBucket() throws Exception {
    String submitter = key("acme", Roles.SUBMITTER);
    // REST and gRPC share the caller's bucket: two REST submissions (503, no service; charged all the same) ...
    for (int i = 0; i < 2; i++) {
      var rest = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
              java.net.URI.create("http://127.0.0.1:" + restPort + "/api/v1/training/jobs"))
          .header("X-Api-Key", submitter).header("Content-Type", "application/json")
          .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{}")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
      assertThat(rest.headers().firstValue("RateLimit-Remaining")).hasValue(Integer.toString(SUBMISSIONS - i - 1));
    }
    // ... leave three for gRPC, each answer saying how many are left
    for (int left = SUBMISSIONS - 3; left >= 0; left--) {
      java.util.concurrent.atomic.AtomicReference<Metadata> headers = new java.util.concurrent.atomic.AtomicReference<>();
      training(apiKey(submitter)).withInterceptors(MetadataUtils.newCaptureMetadataInterceptor(headers, new java.util.concurrent.atomic.AtomicReference<>()))
          .submitJob(SubmitJobRequest.newBuilder().setDisplayName("within the limit").build());
      assertThat(headers.get().get(ForwardingHandler.RATE_LIMIT_REMAINING)).isEqualTo(Integer.toString(left));
      assertThat(headers.get().get(ForwardingHandler.RATE_LIMIT_LIMIT)).isEqualTo(Integer.toString(SUBMISSIONS));
    }

    TRAINING.last = null;
    assertThatThrownBy(() -> training(apiKey(submitter)).submitJob(SubmitJobRequest.newBuilder().setDisplayName("one too many").build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, error -> {
          assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
          assertThat(errorInfo(error).getReason()).isEqualTo("RATE_LIMITED");
          assertThat(errorInfo(error).getMetadataMap()).containsEntry("limit", "submissions");
          assertThat(retryInfo(error).getRetryDelay().getSeconds()).isPositive();
          assertThat(error.getTrailers().get(ForwardingHandler.RETRY_AFTER)).isEqualTo(Long.toString(retryInfo(error).getRetryDelay().getSeconds()));
        });
    assertThat(TRAINING.last).as("a limited call never reaches the service").isNull();
    assertThat(meters.counter("divergence.gateway.rate_limited", "class", "submissions").count()).isPositive();
    // reads have a bucket of their own
    assertThat(training(apiKey(submitter)).getJob(GetJobRequest.newBuilder().setJobId("j").build()).getJobId()).isEqualTo("j");
  }

  @Test
  void aGenerationCostsTheTokensItAsksFor() {
    var generation = dev.divergence.proto.inference.v1.GenerationServiceGrpc.newBlockingStub(gateway)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(apiKey(key("acme", Roles.SUBMITTER))));
    java.util.function.IntFunction<Status.Code> generate = maxTokens -> {
      try {
        generation.generate(dev.divergence.proto.inference.v1.GenerateRequest.newBuilder()
            .setModel("tiny-lm").setPrompt("1+1=").setMaxTokens(maxTokens).build());
        return Status.Code.OK;
      } catch (StatusRuntimeException e) {
        return e.getStatus().getCode();
      }
    };
    // 100 tokens (refilled at 100 per hour, so less than one more during the test): 80 pass the limit and
    // find the inference service down; 30 more than the 20 left do not pass; the 20 left do
    assertThat(generate.apply(80)).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(generate.apply(30)).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(generate.apply(20)).isEqualTo(Status.Code.UNAVAILABLE);
  }

  // --- streaming, cancellation, deadlines, the service's own errors ---

  @Test
  void aServerStreamingCallStreamsEveryUpdateThrough() {
    Iterator<JobUpdate> updates = training(apiKey(ADMIN_KEY)).watchJob(WatchJobRequest.newBuilder().setJobId("w").build());
    List<Integer> attempts = new ArrayList<>();
    updates.forEachRemaining(update -> attempts.add(update.getJob().getAttempt()));
    assertThat(attempts).containsExactly(1, 2, 3);
  }

  @Test
  void aCallerThatCancelsAWatchCancelsItAtTheService() throws Exception {
    CountDownLatch cancelledAtService = new CountDownLatch(1);
    TRAINING.watchCancelled = cancelledAtService;
    Context.CancellableContext watching = Context.current().withCancellation();
    Iterator<JobUpdate> updates = watching.call(() ->
        training(apiKey(ADMIN_KEY)).watchJob(WatchJobRequest.newBuilder().setJobId(StandInTrainingService.ENDLESS).build()));

    assertThat(updates.next().getJob().getJobId()).as("the first update arrives while the watch is open")
        .isEqualTo(StandInTrainingService.ENDLESS);
    watching.cancel(null);

    assertThat(cancelledAtService.await(10, TimeUnit.SECONDS)).as("the service saw the caller's cancellation").isTrue();
  }

  @Test
  void aServiceThatEndsAStreamWithAnErrorEndsItForTheCallerWithTheSameStatus() {
    Iterator<JobUpdate> updates = training(apiKey(ADMIN_KEY))
        .watchJob(WatchJobRequest.newBuilder().setJobId(StandInTrainingService.FAILS_MIDWAY).build());
    assertThat(updates.next().getJob().getJobId()).isEqualTo(StandInTrainingService.FAILS_MIDWAY);
    assertThatThrownBy(updates::next).satisfies(error -> {
      assertThat(codeOf(error)).isEqualTo(Status.Code.ABORTED);
      assertThat(error).hasMessageContaining("the watch ended by the service");
    });
  }

  @Test
  void theServiceGetsTheCallersDeadline() {
    training(apiKey(ADMIN_KEY)).withDeadlineAfter(7, TimeUnit.SECONDS).getJob(GetJobRequest.newBuilder().setJobId("j").build());
    // what is left of 7 s when the service looks: less than 7 s, and a loaded machine loses some on the way
    assertThat(TRAINING.last.deadlineMillis()).isNotNull().isBetween(2_000L, 7_000L);
  }

  @Test
  void aUnaryCallWithoutDeadlineGetsTheConfiguredDefaultAndAWatchGetsNone() {
    training(apiKey(ADMIN_KEY)).getJob(GetJobRequest.newBuilder().setJobId("j").build());
    assertThat(TRAINING.last.deadlineMillis()).isNotNull().isBetween(DEFAULT_DEADLINE_MILLIS - 5_000, DEFAULT_DEADLINE_MILLIS);

    training(apiKey(ADMIN_KEY)).watchJob(WatchJobRequest.newBuilder().setJobId("w").build()).forEachRemaining(update -> {});
    assertThat(TRAINING.last.deadlineMillis()).as("a watch may last as long as the job").isNull();
  }

  @Test
  void aServicesErrorReachesTheCallerWithItsDescriptionAndTrailers() {
    assertThatThrownBy(() -> training(apiKey(ADMIN_KEY)).getJob(GetJobRequest.newBuilder()
        .setJobId(StandInTrainingService.MISSING).build()))
        .isInstanceOfSatisfying(StatusRuntimeException.class, error -> {
          assertThat(error.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND);
          assertThat(error.getStatus().getDescription()).isEqualTo("job missing not found");
          assertThat(error.getTrailers().get(StandInTrainingService.SERVICE_TRAILER)).isEqualTo("told by the service");
        });
  }

  // --- routing failures ---

  @Test
  void anUnknownServiceIsUnimplementedAndNamed() {
    MethodDescriptor<byte[], byte[]> unknown = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName("dev.divergence.nowhere.v1.NowhereService/GetThing")
        .setRequestMarshaller(ProxyRegistry.RawBytes.INSTANCE)
        .setResponseMarshaller(ProxyRegistry.RawBytes.INSTANCE)
        .build();
    var withAdmin = io.grpc.ClientInterceptors.intercept(gateway, MetadataUtils.newAttachHeadersInterceptor(apiKey(ADMIN_KEY)));

    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(withAdmin, unknown, CallOptions.DEFAULT, new byte[0]))
        .satisfies(error -> {
          assertThat(codeOf(error)).isEqualTo(Status.Code.UNIMPLEMENTED);
          assertThat(error).hasMessageContaining("dev.divergence.nowhere.v1.NowhereService");
          assertThat(errorInfo(error).getMetadataMap()).containsEntry("service", "dev.divergence.nowhere.v1.NowhereService");
        });
    MethodDescriptor<byte[], byte[]> longName = unknown.toBuilder()
        .setFullMethodName("dev.divergence.nowhere.v1." + "N".repeat(4000) + "/GetThing").build();
    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(withAdmin, longName, CallOptions.DEFAULT, new byte[0]))
        .as("a 4000-character name still gets its own status, not a failure to read the trailers")
        .satisfies(error -> assertThat(codeOf(error)).isEqualTo(Status.Code.UNIMPLEMENTED));
    assertThatThrownBy(() -> ClientCalls.blockingUnaryCall(gateway, unknown, CallOptions.DEFAULT, new byte[0]))
        .as("unknown or not, nothing but health and reflection answers without credentials")
        .satisfies(error -> assertThat(codeOf(error)).isEqualTo(Status.Code.UNAUTHENTICATED));
  }

  @Test
  void aServiceThatIsDownIsUnavailableAndNamed() {
    var models = ModelServiceGrpc.newBlockingStub(gateway)
        .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(apiKey(ADMIN_KEY)));

    assertThatThrownBy(() -> models.listModels(ListModelsRequest.getDefaultInstance()))
        .satisfies(error -> {
          assertThat(codeOf(error)).isEqualTo(Status.Code.UNAVAILABLE);
          assertThat(error).hasMessageContaining("the inference service is unavailable");
          assertThat(errorInfo(error).getReason()).isEqualTo("SERVICE_UNAVAILABLE");
          assertThat(errorInfo(error).getMetadataMap()).containsEntry("service", "inference");
        });
  }

  // --- open without credentials: health and reflection ---

  @Test
  void healthAnswersServingWithoutCredentials() {
    HealthCheckResponse health = HealthGrpc.newBlockingStub(gateway).check(HealthCheckRequest.getDefaultInstance());
    assertThat(health.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
  }

  @Test
  void reflectionListsTheRoutedServicesWithoutCredentials() throws Exception {
    // the services of the four routed packages in shared-proto (by hand from the .proto files); the
    // Triton protocol (package inference) is not routed, so not listed
    Set<String> routed = Set.of(
        "dev.divergence.training.v1.TrainingService", "dev.divergence.training.v1.DatasetService",
        "dev.divergence.training.v1.ModelRegistryService",
        "dev.divergence.inference.v1.GenerationService", "dev.divergence.inference.v1.ScoringService",
        "dev.divergence.inference.v1.ModelService",
        "dev.divergence.evaluation.v1.EvaluationService", "dev.divergence.evaluation.v1.MetricsService",
        "dev.divergence.evaluation.v1.AnalysisService", "dev.divergence.evaluation.v1.ProvenanceService",
        "dev.divergence.merging.v1.MergingService");

    List<String> listed = reflect(ServerReflectionRequest.newBuilder().setListServices("").build())
        .getListServicesResponse().getServiceList().stream().map(ServiceResponse::getName).toList();
    assertThat(listed).containsAll(routed).contains("grpc.health.v1.Health")
        .doesNotContain("inference.GRPCInferenceService");

    ServerReflectionResponse file = reflect(ServerReflectionRequest.newBuilder()
        .setFileContainingSymbol("dev.divergence.training.v1.TrainingService").build());
    var descriptor = com.google.protobuf.DescriptorProtos.FileDescriptorProto.parseFrom(
        file.getFileDescriptorResponse().getFileDescriptorProto(0));
    assertThat(descriptor.getName()).isEqualTo("dev/divergence/training/v1/training.proto");
    assertThat(descriptor.getService(0).getMethodList()).anySatisfy(method -> {
      assertThat(method.getName()).isEqualTo("WatchJob");
      assertThat(method.getServerStreaming()).isTrue();
    });
  }

  // --- the service behind: nothing without the gateway's proof ---

  @Test
  void aDirectCallToTheServiceWithoutTheGatewaysIdentityIsUnauthenticated() throws InterruptedException {
    ManagedChannel direct = NettyChannelBuilder.forTarget(TRAINING.target()).usePlaintext().build();
    try {
      Metadata claims = apiKey(ADMIN_KEY);
      claims.put(TenantServerInterceptor.TENANT, "acme");
      claims.put(TenantServerInterceptor.IDENTITY, "forged.token.value");
      var stub = TrainingServiceGrpc.newBlockingStub(direct).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(claims));
      assertThatThrownBy(() -> stub.getJob(GetJobRequest.newBuilder().setJobId("j").build()))
          .satisfies(error -> assertThat(codeOf(error)).isEqualTo(Status.Code.UNAUTHENTICATED));
      assertThat(TRAINING.last).isNull();
    } finally {
      direct.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }

  // --- helpers ---

  private TrainingServiceGrpc.TrainingServiceBlockingStub training(Metadata credentials) {
    return TrainingServiceGrpc.newBlockingStub(gateway).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(credentials));
  }

  private ServerReflectionResponse reflect(ServerReflectionRequest request) throws Exception {
    CompletableFuture<ServerReflectionResponse> answer = new CompletableFuture<>();
    var requests = ServerReflectionGrpc.newStub(gateway).withDeadlineAfter(10, TimeUnit.SECONDS)
        .serverReflectionInfo(new StreamObserver<>() {
          @Override
          public void onNext(ServerReflectionResponse response) {
            answer.complete(response);
          }

          @Override
          public void onError(Throwable error) {
            answer.completeExceptionally(error);
          }

          @Override
          public void onCompleted() {}
        });
    requests.onNext(request);
    requests.onCompleted();
    return answer.get(10, TimeUnit.SECONDS);
  }

  private String key(String tenant, String role) {
    CallerIdentity admin = new CallerIdentity("test", "default", Set.of(Roles.ADMIN));
    return keys.create(admin, role + " of " + tenant, tenant, List.of(role), null).text();
  }

  private String revokedKey() {
    String text = key("acme", Roles.SUBMITTER);
    keys.revoke(new CallerIdentity("test", "default", Set.of(Roles.ADMIN)), ApiKeySecret.parse(text).orElseThrow().keyId());
    return text;
  }

  /** Two credentials at once: which one counts would be a guess, so neither does. */
  private static Metadata both(String key) {
    Metadata metadata = apiKey(key);
    metadata.put(GrpcCallerAuthenticator.AUTHORIZATION, "Bearer " + key);
    return metadata;
  }

  private static Metadata apiKey(String key) {
    return header(GrpcCallerAuthenticator.API_KEY, key);
  }

  private static Metadata bearer(String token) {
    return header(GrpcCallerAuthenticator.AUTHORIZATION, "Bearer " + token);
  }

  private static Metadata header(Metadata.Key<String> key, String value) {
    Metadata metadata = new Metadata();
    metadata.put(key, value);
    return metadata;
  }

  private static Status.Code codeOf(Throwable error) {
    return Status.fromThrowable(error).getCode();
  }

  private static ErrorInfo errorInfo(Throwable error) {
    com.google.rpc.Status details = StatusProto.fromThrowable(error);
    assertThat(details).as("the status carries google.rpc.Status details").isNotNull();
    try {
      return details.getDetailsList().stream().filter(any -> any.is(ErrorInfo.class)).findFirst().orElseThrow()
          .unpack(ErrorInfo.class);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  private static com.google.rpc.RetryInfo retryInfo(Throwable error) {
    try {
      return StatusProto.fromThrowable(error).getDetailsList().stream().filter(any -> any.is(com.google.rpc.RetryInfo.class))
          .findFirst().orElseThrow().unpack(com.google.rpc.RetryInfo.class);
    } catch (InvalidProtocolBufferException e) {
      throw new AssertionError(e);
    }
  }

  private static java.time.Instant inTenMinutes() {
    return java.time.Instant.now().plusSeconds(600);
  }
}
