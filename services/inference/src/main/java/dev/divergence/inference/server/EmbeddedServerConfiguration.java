package dev.divergence.inference.server;

import dev.divergence.inference.config.InferenceProperties;
import dev.divergence.model.DjlRuntime;
import dev.divergence.modelserver.ModelServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.List;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The in-process Triton-compatible server (Triton's three ports), started empty: models are loaded
 * through the client in explicit model-control mode, exactly as with an external Triton, so start-up
 * is not held back by model loading.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "divergence.inference.embedded-server.enabled", havingValue = "true", matchIfMissing = true)
public class EmbeddedServerConfiguration {

  @Bean(destroyMethod = "close")
  ModelServer embeddedModelServer(InferenceProperties properties) {
    DjlRuntime.configure(properties.djlCacheDir());
    try {
      Files.createDirectories(properties.repositoryDir());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the model repository " + properties.repositoryDir(), e);
    }
    InferenceProperties.EmbeddedServer server = properties.embeddedServer();
    return ModelServer.start(properties.repositoryDir(), server.host(),
        new ModelServer.Ports(server.grpcPort(), server.httpPort(), server.metricsPort()), List.of());
  }
}
