package dev.divergence.platform.grpc.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.Channel;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** How services configure their clients, and what they are told when they forgot one. */
class GrpcClientsAutoConfigurationTest {

  private final ApplicationContextRunner context = new ApplicationContextRunner()
      .withConfiguration(AutoConfigurations.of(dev.divergence.platform.autoconfigure.PlatformIdentityAutoConfiguration.class,
          GrpcClientsAutoConfiguration.class))
      .withPropertyValues("divergence.security.identity.mode=trust-headers");

  /** A service component that needs the inference client, as evaluation's adapter does. */
  @Configuration(proxyBeanMethods = false)
  static class NeedsInference {
    @Bean
    Channel inferenceChannel(GrpcClients clients) {
      return clients.channel("inference");
    }
  }

  @Test
  void clientsAreBoundFromDivergenceClientsByName() {
    context.withPropertyValues(
            "divergence.clients.inference.target=localhost:9082",
            "divergence.clients.inference.deadline=2m",
            "divergence.clients.inference.max-attempts=6",
            "divergence.clients.inference.max-inbound-message-bytes=8388608",
            "divergence.clients.training.target=dns:///training:9081")
        .run(app -> {
          GrpcClients clients = app.getBean(GrpcClients.class);
          assertThat(clients.settings("inference")).isEqualTo(new GrpcClientProperties(
              "localhost:9082", Duration.ofMinutes(2), 6, Duration.ofMillis(200), Duration.ofSeconds(5), 8 * 1024 * 1024));
          assertThat(clients.settings("training")).isEqualTo(GrpcClientProperties.forTarget("dns:///training:9081"));
          assertThat(clients.settings("training").deadline()).isEqualTo(Duration.ofSeconds(30));
        });
  }

  @Test
  void aServiceThatNeedsAClientWithoutATargetDoesNotStartAndIsToldWhichProperty() {
    context.withUserConfiguration(NeedsInference.class).run(app -> {
      assertThat(app).hasFailed();
      Throwable cause = app.getStartupFailure();
      while (cause.getCause() != null) {
        cause = cause.getCause();
      }
      assertThat(cause).isInstanceOf(IllegalStateException.class)
          .hasMessageStartingWith("divergence.clients.inference.target is not set");
    });
  }

  @Test
  void anInvalidSettingIsNamedByItsProperty() {
    context.withUserConfiguration(NeedsInference.class)
        .withPropertyValues("divergence.clients.inference.target=localhost:9082", "divergence.clients.inference.max-attempts=0")
        .run(app -> {
          Throwable cause = app.getStartupFailure();
          while (cause.getCause() != null) {
            cause = cause.getCause();
          }
          assertThat(cause).hasMessage("divergence.clients.inference.max-attempts must be at least 1, got 0");
        });
  }
}
