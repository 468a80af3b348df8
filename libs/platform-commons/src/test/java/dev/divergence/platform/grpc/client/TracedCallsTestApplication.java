package dev.divergence.platform.grpc.client;

import dev.divergence.platform.tenancy.TenantContext;
import dev.divergence.proto.training.v1.GetJobMetricsRequest;
import dev.divergence.proto.training.v1.JobMetrics;
import dev.divergence.proto.training.v1.TrainingServiceGrpc;
import io.grpc.stub.StreamObserver;
import io.micrometer.tracing.Span;
import io.micrometer.tracing.Tracer;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;

/** A service with platform-commons' gRPC server and clients, calling itself. */
@SpringBootApplication
class TracedCallsTestApplication {

  /** The trace id and tenant the gRPC service saw in its last call. */
  record Seen(String traceId, String tenant) {}

  static final AtomicReference<Seen> SEEN = new AtomicReference<>();

  @Bean
  TrainingServiceGrpc.TrainingServiceImplBase recordingService(Tracer tracer) {
    return new TrainingServiceGrpc.TrainingServiceImplBase() {
      @Override
      public void getJobMetrics(GetJobMetricsRequest request, StreamObserver<JobMetrics> response) {
        Span span = tracer.currentSpan();
        SEEN.set(new Seen(span == null ? null : span.context().traceId(), TenantContext.current()));
        response.onNext(JobMetrics.newBuilder().setJobId(request.getJobId()).build());
        response.onCompleted();
      }
    };
  }
}
