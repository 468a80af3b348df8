package dev.divergence.inference.backend;

import dev.divergence.inference.config.InferenceProperties;
import dev.divergence.modelserver.ModelServer;
import dev.divergence.modelserver.client.ClientOptions;
import dev.divergence.modelserver.client.TritonClient;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The one client every model call goes through: the embedded server's bound port, or Triton at the configured target. */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(InferenceProperties.class)
public class TritonClientConfiguration {

  @Bean(destroyMethod = "close")
  TritonClient tritonClient(InferenceProperties properties, ObjectProvider<ModelServer> embedded) {
    ModelServer server = embedded.getIfAvailable();
    String target = server != null ? "localhost:" + server.port() : properties.triton().target();
    return TritonClient.connect(target, ClientOptions.defaults().withDeadline(properties.triton().deadline()));
  }
}
