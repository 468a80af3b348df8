package dev.divergence.training.api;

import dev.divergence.proto.training.v1.GetJobRequest;
import dev.divergence.proto.training.v1.Job;
import dev.divergence.proto.training.v1.SubmitJobRequest;
import dev.divergence.proto.training.v1.TrainingServiceGrpc;
import dev.divergence.training.events.JobMessages;
import dev.divergence.training.job.JobService;
import dev.divergence.training.job.JobSpec;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import org.springframework.stereotype.Component;

/** gRPC face of the same {@link JobService} as the REST controller; errors map to gRPC statuses. */
@Component
public class TrainingGrpcService extends TrainingServiceGrpc.TrainingServiceImplBase {

  private final JobService jobs;

  public TrainingGrpcService(JobService jobs) {
    this.jobs = jobs;
  }

  @Override
  public void submitJob(SubmitJobRequest request, StreamObserver<Job> response) {
    var spec = request.hasSpec() ? request.getSpec() : null;
    JobSpec domainSpec = spec == null ? null : new JobSpec(spec.getAlgorithm(), spec.getDivergence(),
        spec.getBaseModel(), emptyToNull(spec.getTeacherModel()), spec.getDataset(), spec.getMaxSteps(),
        Map.copyOf(spec.getParametersMap()));
    var submission = jobs.submit(emptyToNull(request.getIdempotencyKey()), request.getDisplayName(), domainSpec);
    response.onNext(JobMessages.toProto(submission.job()));
    response.onCompleted();
  }

  @Override
  public void getJob(GetJobRequest request, StreamObserver<Job> response) {
    response.onNext(JobMessages.toProto(jobs.get(request.getJobId())));
    response.onCompleted();
  }

  private static String emptyToNull(String value) {
    return value == null || value.isEmpty() ? null : value;
  }
}
