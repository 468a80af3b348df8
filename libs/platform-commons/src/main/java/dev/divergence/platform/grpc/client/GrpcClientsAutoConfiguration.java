package dev.divergence.platform.grpc.client;

import dev.divergence.platform.tenancy.IdentityPolicy;
import io.grpc.ClientInterceptor;
import io.micrometer.core.instrument.binder.grpc.ObservationGrpcClientInterceptor;
import io.micrometer.observation.ObservationRegistry;
import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * {@link GrpcClients} for every service, whether or not it runs a gRPC server itself. Channels open
 * on first use, so a service pays nothing for clients it does not call.
 */
@AutoConfiguration(after = dev.divergence.platform.autoconfigure.PlatformIdentityAutoConfiguration.class)
@EnableConfigurationProperties(GrpcClientsProperties.class)
public class GrpcClientsAutoConfiguration {

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean
  GrpcClients grpcClients(
      GrpcClientsProperties properties,
      @Value("${spring.application.name:}") String applicationName,
      ObjectProvider<ObservationRegistry> observations,
      IdentityPolicy identity) {
    List<ClientInterceptor> interceptors = new ArrayList<>();
    observations.ifAvailable(registry -> interceptors.add(new ObservationGrpcClientInterceptor(registry)));
    return new GrpcClients(properties.clients(), applicationName, interceptors, identity);
  }
}
