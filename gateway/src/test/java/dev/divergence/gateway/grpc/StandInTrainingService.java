package dev.divergence.gateway.grpc;

import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.platform.grpc.GrpcServerProperties;
import dev.divergence.platform.tenancy.CallerIdentity;
import dev.divergence.platform.tenancy.IdentityPolicy;
import dev.divergence.platform.tenancy.IdentityProperties;
import dev.divergence.platform.tenancy.TenantContext;
import dev.divergence.platform.tenancy.TenantServerInterceptor;
import dev.divergence.proto.training.v1.CancelJobRequest;
import dev.divergence.proto.training.v1.GetJobRequest;
import dev.divergence.proto.training.v1.Job;
import dev.divergence.proto.training.v1.JobState;
import dev.divergence.proto.training.v1.JobUpdate;
import dev.divergence.proto.training.v1.SubmitJobRequest;
import dev.divergence.proto.training.v1.TrainingServiceGrpc;
import dev.divergence.proto.training.v1.WatchJobRequest;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A real gRPC server standing in for the training service, set up as a service is: platform-commons'
 * {@link GrpcServerLifecycle} with a {@link TenantServerInterceptor} that believes only identities
 * signed with the shared secret. It remembers what the last call saw (tenant, caller, deadline,
 * metadata), so a test can tell what the gateway passed on.
 */
final class StandInTrainingService extends TrainingServiceGrpc.TrainingServiceImplBase {

  /** A job id whose watch sends one update and then waits until the call is cancelled. */
  static final String ENDLESS = "endless";
  /** A job id the service answers NOT_FOUND for, with a trailer of its own. */
  static final String MISSING = "missing";
  /** A job id whose watch sends one update and then ends the call with ABORTED. */
  static final String FAILS_MIDWAY = "fails-midway";
  static final Metadata.Key<String> SERVICE_TRAILER = Metadata.Key.of("x-stand-in", Metadata.ASCII_STRING_MARSHALLER);
  static final int WATCH_UPDATES = 3;

  /** What the service saw of the last call that reached it. */
  record Seen(String tenant, CallerIdentity caller, Long deadlineMillis, Metadata headers) {}

  private final GrpcServerLifecycle server;
  private volatile Metadata lastHeaders;
  volatile Seen last;
  volatile CountDownLatch watchCancelled = new CountDownLatch(1);

  private StandInTrainingService(String identitySecret) {
    IdentityPolicy verify = IdentityPolicy.from(new IdentityProperties(IdentityProperties.Mode.VERIFY, identitySecret, null),
        "training", Clock.systemUTC());
    ServerInterceptor remember = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        lastHeaders = headers;
        return next.startCall(call, headers);
      }
    };
    // the last interceptor runs first: the identity is checked before anything is remembered
    this.server = new GrpcServerLifecycle(new GrpcServerProperties(0, null, null), List.of(this),
        List.of(remember, new TenantServerInterceptor(verify)));
  }

  static StandInTrainingService start(String identitySecret) {
    StandInTrainingService service = new StandInTrainingService(identitySecret);
    service.server.start();
    return service;
  }

  String target() {
    return "127.0.0.1:" + server.port();
  }

  void stop() {
    server.stop();
  }

  private Seen see() {
    Deadline deadline = Context.current().getDeadline();
    Seen seen = new Seen(TenantContext.current(), TenantContext.caller().orElse(null),
        deadline == null ? null : deadline.timeRemaining(TimeUnit.MILLISECONDS), lastHeaders);
    last = seen;
    return seen;
  }

  private static Job job(String id, String tenant, JobState state) {
    return Job.newBuilder().setJobId(id).setDisplayName("job of " + tenant).setState(state).build();
  }

  @Override
  public void getJob(GetJobRequest request, StreamObserver<Job> responses) {
    Seen seen = see();
    if (request.getJobId().equals(MISSING)) {
      Metadata trailers = new Metadata();
      trailers.put(SERVICE_TRAILER, "told by the service");
      responses.onError(Status.NOT_FOUND.withDescription("job missing not found").asRuntimeException(trailers));
      return;
    }
    responses.onNext(job(request.getJobId(), seen.tenant(), JobState.JOB_STATE_RUNNING));
    responses.onCompleted();
  }

  @Override
  public void submitJob(SubmitJobRequest request, StreamObserver<Job> responses) {
    Seen seen = see();
    responses.onNext(job("job-1", seen.tenant(), JobState.JOB_STATE_QUEUED).toBuilder()
        .setDisplayName(request.getDisplayName()).build());
    responses.onCompleted();
  }

  @Override
  public void cancelJob(CancelJobRequest request, StreamObserver<Job> responses) {
    Seen seen = see();
    responses.onNext(job(request.getJobId(), seen.tenant(), JobState.JOB_STATE_CANCELLED));
    responses.onCompleted();
  }

  @Override
  public void watchJob(WatchJobRequest request, StreamObserver<JobUpdate> updates) {
    Seen seen = see();
    if (request.getJobId().equals(ENDLESS)) {
      CountDownLatch cancelled = watchCancelled;
      ((ServerCallStreamObserver<JobUpdate>) updates).setOnCancelHandler(cancelled::countDown);
      updates.onNext(JobUpdate.newBuilder().setJob(job(ENDLESS, seen.tenant(), JobState.JOB_STATE_RUNNING)).build());
      return;
    }
    if (request.getJobId().equals(FAILS_MIDWAY)) {
      updates.onNext(JobUpdate.newBuilder().setJob(job(FAILS_MIDWAY, seen.tenant(), JobState.JOB_STATE_RUNNING)).build());
      updates.onError(Status.ABORTED.withDescription("the watch ended by the service").asRuntimeException());
      return;
    }
    for (int i = 1; i <= WATCH_UPDATES; i++) {
      updates.onNext(JobUpdate.newBuilder().setJob(job(request.getJobId(), seen.tenant(), JobState.JOB_STATE_RUNNING)
          .toBuilder().setAttempt(i)).build());
    }
    updates.onCompleted();
  }
}
