package dev.divergence.evaluation.api.runs;

import dev.divergence.evaluation.events.RunMessages;
import dev.divergence.evaluation.run.EvaluationRun;
import dev.divergence.evaluation.run.RunService;
import dev.divergence.evaluation.store.RunRepository;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.tenancy.TenantContext;
import dev.divergence.proto.evaluation.v1.CancelRunRequest;
import dev.divergence.proto.evaluation.v1.CreateRunRequest;
import dev.divergence.proto.evaluation.v1.EvaluationServiceGrpc;
import dev.divergence.proto.evaluation.v1.GetRunRequest;
import dev.divergence.proto.evaluation.v1.ListRunsRequest;
import dev.divergence.proto.evaluation.v1.ListRunsResponse;
import dev.divergence.proto.evaluation.v1.Run;
import dev.divergence.proto.evaluation.v1.WatchRunRequest;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.List;
import org.springframework.stereotype.Component;

/** Evaluation runs over gRPC: the same service, checks and field names as REST. */
@Component
public class RunGrpcService extends EvaluationServiceGrpc.EvaluationServiceImplBase {

  private final RunService runs;
  private final RunWatcher watcher;

  public RunGrpcService(RunService runs, RunWatcher watcher) {
    this.runs = runs;
    this.watcher = watcher;
  }

  @Override
  public void createRun(CreateRunRequest request, StreamObserver<Run> response) {
    if (!request.hasSpec()) {
      throw new InvalidArgumentException("spec", "is required");
    }
    RunService.Creation creation = runs.create(TenantContext.current(), request.getIdempotencyKey(),
        request.getDisplayName(), RunMessages.fromProto(request.getSpec()));
    response.onNext(RunMessages.toProto(creation.run()));
    response.onCompleted();
  }

  @Override
  public void getRun(GetRunRequest request, StreamObserver<Run> response) {
    response.onNext(RunMessages.toProto(runs.get(TenantContext.current(), request.getRunId())));
    response.onCompleted();
  }

  @Override
  public void listRuns(ListRunsRequest request, StreamObserver<ListRunsResponse> response) {
    int size = request.getPageSize() == 0 ? 50 : request.getPageSize();
    String trigger = RunController.parseTrigger(request.getTrigger());
    List<EvaluationRun> page = runs.list(TenantContext.current(), new RunRepository.Filter(
        RunMessages.fromProto(request.getState()), request.getModel().isEmpty() ? null : request.getModel(), trigger, null),
        request.getPageToken(), size);
    ListRunsResponse.Builder body = ListRunsResponse.newBuilder();
    page.forEach(run -> body.addRuns(RunMessages.toProto(run)));
    if (page.size() == size) {
      body.setNextPageToken(page.get(page.size() - 1).id().toString());
    }
    response.onNext(body.build());
    response.onCompleted();
  }

  @Override
  public void cancelRun(CancelRunRequest request, StreamObserver<Run> response) {
    response.onNext(RunMessages.toProto(runs.cancel(TenantContext.current(), request.getRunId())));
    response.onCompleted();
  }

  @Override
  public void watchRun(WatchRunRequest request, StreamObserver<Run> response) {
    EvaluationRun run = runs.get(TenantContext.current(), request.getRunId());
    ServerCallStreamObserver<Run> stream = (ServerCallStreamObserver<Run>) response;
    Runnable stop = watcher.watch(run.id(), update -> {
      synchronized (stream) {
        if (!stream.isCancelled()) {
          stream.onNext(RunMessages.toProto(update));
        }
      }
    }, () -> {
      synchronized (stream) {
        if (!stream.isCancelled()) {
          stream.onCompleted();
        }
      }
    }, error -> {
      synchronized (stream) {
        if (!stream.isCancelled()) {
          stream.onError(Status.INTERNAL.withDescription("watching the run failed").asRuntimeException());
        }
      }
    });
    stream.setOnCancelHandler(stop);
  }
}
