package dev.divergence.platform.autoconfigure;

import dev.divergence.platform.grpc.ExceptionMappingInterceptor;
import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.platform.grpc.GrpcServerProperties;
import dev.divergence.platform.grpc.TextRulesInterceptor;
import dev.divergence.platform.tenancy.IdentityPolicy;
import dev.divergence.platform.tenancy.TenantServerInterceptor;
import io.grpc.BindableService;
import io.grpc.ServerInterceptor;
import io.micrometer.core.instrument.binder.grpc.ObservationGrpcServerInterceptor;
import io.micrometer.observation.ObservationRegistry;
import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/** The service's gRPC server, with health, reflection, tracing, tenant, text checks and exception mapping. */
@AutoConfiguration(after = PlatformIdentityAutoConfiguration.class)
@EnableConfigurationProperties(GrpcServerProperties.class)
@ConditionalOnExpression("${divergence.grpc.port:-1} >= 0")
public class PlatformGrpcAutoConfiguration {

  @Bean
  GrpcServerLifecycle grpcServer(
      GrpcServerProperties properties,
      ObjectProvider<BindableService> services,
      ObjectProvider<ObservationRegistry> observations,
      IdentityPolicy identity) {
    // ServerInterceptors.intercept calls the last interceptor first: tracing wraps the text checks,
    // which reject a bad string before error mapping and the service see the message; the tenant
    // (and request id) another service sent is bound around all of them.
    List<ServerInterceptor> interceptors = new ArrayList<>();
    interceptors.add(new ExceptionMappingInterceptor());
    interceptors.add(new TextRulesInterceptor());
    interceptors.add(new TenantServerInterceptor(identity));
    observations.ifAvailable(registry -> interceptors.add(new ObservationGrpcServerInterceptor(registry)));
    return new GrpcServerLifecycle(properties, services.orderedStream().toList(), interceptors);
  }
}
