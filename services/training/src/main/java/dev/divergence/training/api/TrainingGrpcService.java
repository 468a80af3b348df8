package dev.divergence.training.api;

import dev.divergence.proto.training.v1.CancelJobRequest;
import dev.divergence.proto.training.v1.GetJobLogsRequest;
import dev.divergence.proto.training.v1.GetJobMetricsRequest;
import dev.divergence.proto.training.v1.GetJobRequest;
import dev.divergence.proto.training.v1.Job;
import dev.divergence.proto.training.v1.JobLogs;
import dev.divergence.proto.training.v1.JobMetrics;
import dev.divergence.proto.training.v1.JobUpdate;
import dev.divergence.proto.training.v1.ListJobsRequest;
import dev.divergence.proto.training.v1.ListJobsResponse;
import dev.divergence.proto.training.v1.LogLine;
import dev.divergence.proto.training.v1.MetricSeries;
import dev.divergence.proto.training.v1.RetryJobRequest;
import dev.divergence.proto.training.v1.StepMetrics;
import dev.divergence.proto.training.v1.SubmitJobRequest;
import dev.divergence.proto.training.v1.TrainingServiceGrpc;
import dev.divergence.proto.training.v1.WatchJobRequest;
import dev.divergence.platform.errors.GrpcStatusMapper;
import dev.divergence.training.events.JobMessages;
import dev.divergence.training.job.JobService;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import org.springframework.stereotype.Component;

/** gRPC face of the same {@link JobService} as the REST controller; errors map to gRPC statuses. */
@Component
public class TrainingGrpcService extends TrainingServiceGrpc.TrainingServiceImplBase {

  private final JobService jobs;
  private final JobWatcher watcher;

  public TrainingGrpcService(JobService jobs, JobWatcher watcher) {
    this.jobs = jobs;
    this.watcher = watcher;
  }

  @Override
  public void submitJob(SubmitJobRequest request, StreamObserver<Job> response) {
    var spec = request.hasSpec() ? JobMessages.fromProto(request.getSpec()) : null;
    String key = request.getIdempotencyKey().isEmpty() ? null : request.getIdempotencyKey();
    var submission = jobs.submit(key, request.getDisplayName(), spec);
    reply(response, JobMessages.toProto(submission.job()));
  }

  @Override
  public void getJob(GetJobRequest request, StreamObserver<Job> response) {
    reply(response, JobMessages.toProto(jobs.get(request.getJobId())));
  }

  @Override
  public void listJobs(ListJobsRequest request, StreamObserver<ListJobsResponse> response) {
    var page = jobs.list(JobMessages.fromProto(request.getState()), emptyToNull(request.getAlgorithm()),
        emptyToNull(request.getModel()), request.getPageSize(), request.getPageToken());
    ListJobsResponse.Builder reply = ListJobsResponse.newBuilder();
    page.jobs().forEach(job -> reply.addJobs(JobMessages.toProto(job)));
    if (page.nextPageToken() != null) {
      reply.setNextPageToken(page.nextPageToken());
    }
    reply(response, reply.build());
  }

  @Override
  public void cancelJob(CancelJobRequest request, StreamObserver<Job> response) {
    reply(response, JobMessages.toProto(jobs.cancel(request.getJobId())));
  }

  @Override
  public void retryJob(RetryJobRequest request, StreamObserver<Job> response) {
    var budget = request.hasBudget() ? JobMessages.fromProto(request.getBudget()) : null;
    reply(response, JobMessages.toProto(jobs.retry(request.getJobId(), budget)));
  }

  @Override
  public void watchJob(WatchJobRequest request, StreamObserver<JobUpdate> response) {
    var jobId = jobs.get(request.getJobId()).id();
    ServerCallStreamObserver<JobUpdate> stream = (ServerCallStreamObserver<JobUpdate>) response;
    Runnable stop = watcher.watch(jobId, update -> {
      if (stream.isCancelled()) {
        return;
      }
      JobUpdate.Builder message = JobUpdate.newBuilder().setJob(JobMessages.toProto(update.job()));
      if (!update.latestMetrics().isEmpty()) {
        message.setMetrics(StepMetrics.newBuilder().setJobId(jobId.toString()).setAttempt(update.job().attempt())
            .setStep(update.job().progress().step()).putAllValues(update.latestMetrics()));
      }
      synchronized (stream) {
        stream.onNext(message.build());
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
          stream.onError(GrpcStatusMapper.toStatus(error));
        }
      }
    });
    stream.setOnCancelHandler(stop);
  }

  @Override
  public void getJobMetrics(GetJobMetricsRequest request, StreamObserver<JobMetrics> response) {
    JobMetrics.Builder reply = JobMetrics.newBuilder().setJobId(request.getJobId());
    jobs.metrics(request.getJobId(), request.getNamesList()).forEach((name, series) ->
        reply.addSeries(MetricSeries.newBuilder().setName(name).addAllSteps(series.steps()).addAllValues(series.values())));
    reply(response, reply.build());
  }

  @Override
  public void getJobLogs(GetJobLogsRequest request, StreamObserver<JobLogs> response) {
    JobLogs.Builder reply = JobLogs.newBuilder().setJobId(request.getJobId());
    jobs.logs(request.getJobId(), request.getLimit()).forEach(line -> reply.addLines(LogLine.newBuilder()
        .setTime(JobMessages.timestamp(line.time())).setAttempt(line.attempt()).setLevel(line.level()).setMessage(line.message())));
    reply(response, reply.build());
  }

  private static <T> void reply(StreamObserver<T> response, T message) {
    response.onNext(message);
    response.onCompleted();
  }

  private static String emptyToNull(String value) {
    return value == null || value.isEmpty() ? null : value;
  }
}
