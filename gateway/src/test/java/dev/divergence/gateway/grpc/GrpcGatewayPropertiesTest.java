package dev.divergence.gateway.grpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GrpcGatewayPropertiesTest {

  private static GrpcGatewayProperties withServices(Map<String, GrpcGatewayProperties.Service> services) {
    return new GrpcGatewayProperties(9090, Duration.ofSeconds(60), 1 << 26, Duration.ofSeconds(10), services, List.of());
  }

  @Test
  void eachPackageBelongsToTheServiceThatListsIt() {
    Map<String, GrpcGatewayProperties.Service> services = new LinkedHashMap<>();
    services.put("training", new GrpcGatewayProperties.Service("localhost:9081", List.of("dev.divergence.training.v1")));
    services.put("inference", new GrpcGatewayProperties.Service("inference.svc:9082",
        List.of("dev.divergence.inference.v1", "dev.divergence.inference.v2")));
    assertThat(withServices(services).packageOwners()).containsExactly(
        Map.entry("dev.divergence.training.v1", "training"),
        Map.entry("dev.divergence.inference.v1", "inference"),
        Map.entry("dev.divergence.inference.v2", "inference"));
  }

  @Test
  void aPackageListedByTwoServicesIsRefusedNamingBoth() {
    Map<String, GrpcGatewayProperties.Service> services = new LinkedHashMap<>();
    services.put("training", new GrpcGatewayProperties.Service("localhost:9081", List.of("dev.divergence.shared.v1")));
    services.put("merging", new GrpcGatewayProperties.Service("localhost:9084", List.of("dev.divergence.shared.v1")));
    assertThatThrownBy(() -> withServices(services)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("dev.divergence.shared.v1").hasMessageContaining("training").hasMessageContaining("merging");
  }

  @Test
  void aTargetMustBeHostAndPort() {
    for (String bad : List.of("localhost", "http://localhost:9081", "localhost:port", "")) {
      assertThatThrownBy(() -> new GrpcGatewayProperties.Service(bad, List.of("a.v1")))
          .as(bad).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host:port");
    }
    assertThat(new GrpcGatewayProperties.Service("[::1]:9081", List.of("a.v1")).target()).isEqualTo("[::1]:9081");
  }
}
