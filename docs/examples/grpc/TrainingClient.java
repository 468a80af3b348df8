// The training API over gRPC with the generated Java stubs of dev.divergence:shared-proto: credentials
// as metadata, an idempotent submission, paging, a server stream followed to its end, deadlines, and an
// error's status and the field it names. Run it as a single-file program (Java 21+) with a classpath
// holding shared-proto and a gRPC transport (grpc-netty-shaded or grpc-netty), see docs/integration.md:
//
//   DIVERGENCE_API_KEY=dvg_... java -cp "$CLASSPATH" TrainingClient.java
//
//   DIVERGENCE_GRPC_TARGET  host:port of the gateway's gRPC entry point (default localhost:9090)
//   DIVERGENCE_GRPC_TLS     "true" for a TLS endpoint (default plaintext, as ./platform up serves)
//   DIVERGENCE_API_KEY      sent as the x-api-key metadata (or "authorization: Bearer <key or JWT>")
//   DIVERGENCE_IDENTITY     only for the platform's own tests that call a service's port directly:
//                           a signed identity token, sent as x-divergence-identity (docs/security.md)

import dev.divergence.proto.training.v1.Budget;
import dev.divergence.proto.training.v1.CancelJobRequest;
import dev.divergence.proto.training.v1.DistillationSpec;
import dev.divergence.proto.training.v1.DivergenceChoice;
import dev.divergence.proto.training.v1.Job;
import dev.divergence.proto.training.v1.JobSpec;
import dev.divergence.proto.training.v1.JobState;
import dev.divergence.proto.training.v1.JobUpdate;
import dev.divergence.proto.training.v1.ListJobsRequest;
import dev.divergence.proto.training.v1.ListJobsResponse;
import dev.divergence.proto.training.v1.SubmitJobRequest;
import dev.divergence.proto.training.v1.TrainingServiceGrpc;
import dev.divergence.proto.training.v1.WatchJobRequest;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.MetadataUtils;
import java.util.Iterator;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

public class TrainingClient {

  /** Where a bad request names its offending fields (comma separated), besides the status description. */
  static final Metadata.Key<String> INVALID_FIELDS = Metadata.Key.of("divergence-invalid-fields", Metadata.ASCII_STRING_MARSHALLER);

  public static void main(String[] args) throws Exception {
    String target = System.getenv().getOrDefault("DIVERGENCE_GRPC_TARGET", "localhost:9090");
    ManagedChannel channel = Grpc.newChannelBuilder(target, "true".equals(System.getenv("DIVERGENCE_GRPC_TLS"))
        ? TlsChannelCredentials.create() : InsecureChannelCredentials.create()).build();
    try {
      // credentials travel as metadata on every call of this stub
      Metadata credentials = new Metadata();
      if (System.getenv("DIVERGENCE_API_KEY") != null) {
        credentials.put(Metadata.Key.of("x-api-key", Metadata.ASCII_STRING_MARSHALLER), System.getenv("DIVERGENCE_API_KEY"));
      }
      if (System.getenv("DIVERGENCE_IDENTITY") != null) {
        credentials.put(Metadata.Key.of("x-divergence-identity", Metadata.ASCII_STRING_MARSHALLER), System.getenv("DIVERGENCE_IDENTITY"));
      }
      TrainingServiceGrpc.TrainingServiceBlockingStub training = TrainingServiceGrpc.newBlockingStub(channel)
          .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(credentials));

      // 1. submit with an idempotency key; a retry of the same submission returns the same job.
      //    A deadline on every call: a stub's deadline is a point in time, so set it per call.
      SubmitJobRequest submission = SubmitJobRequest.newBuilder()
          .setIdempotencyKey(UUID.randomUUID().toString())
          .setDisplayName("kd js (gRPC integration example)")
          .setSpec(JobSpec.newBuilder().setAlgorithm("distillation").setModel("breast-cancer-mlp-student")
              .setDataset("breast-cancer").setBudget(Budget.newBuilder().setMaxSteps(20))
              .setDistillation(DistillationSpec.newBuilder().setTeacherModel("breast-cancer-mlp-teacher")
                  .setDivergence(DivergenceChoice.newBuilder().setName("js"))))
          .build();
      Job job = training.withDeadlineAfter(10, TimeUnit.SECONDS).submitJob(submission);
      Job again = training.withDeadlineAfter(10, TimeUnit.SECONDS).submitJob(submission);
      System.out.println("submitted job " + job.getJobId() + ", again with the same idempotency key: " + again.getJobId());

      // 2. page through the jobs, two at a time, until next_page_token is empty
      int pages = 0;
      int jobs = 0;
      String token = "";
      do {
        ListJobsResponse page = training.withDeadlineAfter(10, TimeUnit.SECONDS)
            .listJobs(ListJobsRequest.newBuilder().setPageSize(2).setPageToken(token).build());
        pages++;
        jobs += page.getJobsCount();
        token = page.getNextPageToken();
      } while (!token.isEmpty());
      System.out.println("listed " + jobs + " jobs in " + pages + " pages");

      // 3. a server stream: the job now, then every change until it ends; the deadline bounds the whole stream
      JobState last = JobState.JOB_STATE_UNSPECIFIED;
      Iterator<JobUpdate> updates = training.withDeadlineAfter(5, TimeUnit.MINUTES)
          .watchJob(WatchJobRequest.newBuilder().setJobId(job.getJobId()).build());
      while (updates.hasNext()) {
        last = updates.next().getJob().getState();
      }
      System.out.println("watched job " + job.getJobId() + " to its end: " + last);

      // 4. a deadline that passes: the call ends with DEADLINE_EXCEEDED on the client, whatever the server
      //    is doing; to stop the server's work, cancel the job
      Job longJob = training.withDeadlineAfter(10, TimeUnit.SECONDS).submitJob(submission.toBuilder()
          .setIdempotencyKey(UUID.randomUUID().toString()).setDisplayName("long job (gRPC deadline example)")
          .setSpec(submission.getSpec().toBuilder().setBudget(Budget.newBuilder().setMaxSteps(1_000_000))).build());
      try {
        Iterator<JobUpdate> cut = training.withDeadlineAfter(2, TimeUnit.SECONDS)
            .watchJob(WatchJobRequest.newBuilder().setJobId(longJob.getJobId()).build());
        while (cut.hasNext()) {
          cut.next();
        }
        System.out.println("the watch of the long job ended before its deadline");
      } catch (StatusRuntimeException e) {
        System.out.println("watch with a 2 s deadline: " + e.getStatus().getCode());
      }
      training.withDeadlineAfter(10, TimeUnit.SECONDS).cancelJob(CancelJobRequest.newBuilder().setJobId(longJob.getJobId()).build());
      System.out.println("cancelled job " + longJob.getJobId());

      // 5. bad input: INVALID_ARGUMENT, the description says what is wrong, a trailer names the field(s)
      try {
        training.withDeadlineAfter(10, TimeUnit.SECONDS).submitJob(submission.toBuilder()
            .setIdempotencyKey(UUID.randomUUID().toString())
            .setSpec(submission.getSpec().toBuilder().setBudget(Budget.newBuilder().setMaxSteps(-1))).build());
        System.out.println("a negative maxSteps was accepted");
      } catch (StatusRuntimeException e) {
        Metadata trailers = Status.trailersFromThrowable(e);
        System.out.println("bad input: " + e.getStatus().getCode() + " fields=" + (trailers == null ? null : trailers.get(INVALID_FIELDS))
            + " (" + e.getStatus().getDescription() + ")");
      }
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
