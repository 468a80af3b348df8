package dev.divergence.training.events;

import com.google.protobuf.Timestamp;
import dev.divergence.proto.training.v1.Job;
import dev.divergence.proto.training.v1.JobSpec;
import dev.divergence.proto.training.v1.JobState;

/** Domain jobs as shared-proto messages (events and gRPC use the same shape). */
public final class JobMessages {

  private JobMessages() {}

  public static Job toProto(dev.divergence.training.job.Job job) {
    var spec = job.spec();
    JobSpec.Builder protoSpec = JobSpec.newBuilder()
        .setAlgorithm(spec.algorithm())
        .setDivergence(spec.divergence())
        .setBaseModel(spec.baseModel())
        .setDataset(spec.dataset())
        .setMaxSteps(spec.maxSteps())
        .putAllParameters(spec.parameters());
    if (spec.teacherModel() != null) {
      protoSpec.setTeacherModel(spec.teacherModel());
    }
    return Job.newBuilder()
        .setJobId(job.id().toString())
        .setDisplayName(job.displayName())
        .setState(JobState.valueOf("JOB_STATE_" + job.state().name()))
        .setSpec(protoSpec)
        .setCreatedAt(Timestamp.newBuilder().setSeconds(job.createdAt().getEpochSecond()).setNanos(job.createdAt().getNano()))
        .setAttempt(job.attempt())
        .build();
  }
}
