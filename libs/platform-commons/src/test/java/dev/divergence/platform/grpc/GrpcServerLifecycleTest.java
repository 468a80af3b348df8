package dev.divergence.platform.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.ServerServiceDefinition;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.health.v1.HealthGrpc;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The gRPC server over a real socket: health follows the lifecycle, also across a restart. */
class GrpcServerLifecycleTest {

  @Test
  void healthIsServingAgainAfterAStopAndAStart() throws Exception {
    BindableService echo = () -> ServerServiceDefinition.builder("test.Echo").build();
    GrpcServerLifecycle lifecycle = new GrpcServerLifecycle(new GrpcServerProperties(0, null, 1), List.of(echo), List.of());
    try {
      lifecycle.start();
      assertThat(status(lifecycle.port(), "")).isEqualTo(ServingStatus.SERVING);
      lifecycle.stop();
      assertThat(lifecycle.isRunning()).isFalse();

      // Spring pauses and resumes cached test contexts this way
      lifecycle.start();
      assertThat(status(lifecycle.port(), "")).isEqualTo(ServingStatus.SERVING);
      assertThat(status(lifecycle.port(), "test.Echo")).isEqualTo(ServingStatus.SERVING);
    } finally {
      lifecycle.stop();
    }
  }

  private static ServingStatus status(int port, String service) throws InterruptedException {
    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    try {
      return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
          .check(HealthCheckRequest.newBuilder().setService(service).build()).getStatus();
    } finally {
      channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }
  }
}
