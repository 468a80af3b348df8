package dev.divergence.gateway.grpc;

import dev.divergence.gateway.auth.ApiKeyService;
import dev.divergence.gateway.auth.AuthProperties;
import dev.divergence.gateway.ratelimit.RateLimitProperties;
import dev.divergence.gateway.ratelimit.RateLimiter;
import dev.divergence.platform.tenancy.IdentityPolicy;
import dev.divergence.platform.tenancy.IdentityTokens;
import io.micrometer.core.instrument.MeterRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.condition.ConditionalOnExpression;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.security.oauth2.jwt.JwtDecoder;

/** The gRPC entry point, unless {@code divergence.gateway.grpc.port} is negative. */
@Configuration(proxyBeanMethods = false)
@ConditionalOnExpression("${divergence.gateway.grpc.port:9090} >= 0")
@EnableConfigurationProperties(GrpcGatewayProperties.class)
public class GrpcEntryPointConfiguration {

  @Bean
  GrpcEntryPoint grpcEntryPoint(GrpcGatewayProperties properties, ApiKeyService keys, AuthProperties auth,
      ObjectProvider<JwtDecoder> jwtDecoder, IdentityPolicy identity, ObjectProvider<RateLimiter> rateLimiter,
      ObjectProvider<RateLimitProperties> rateLimits, ObjectProvider<MeterRegistry> meters) {
    IdentityTokens tokens = identity.tokens().orElseThrow(() -> new IllegalStateException(
        "the gateway signs callers' identities: set divergence.security.identity.secret"));
    GrpcCallerAuthenticator authenticator = new GrpcCallerAuthenticator(keys, jwtDecoder.getIfAvailable(), auth);
    MethodAccess access = new MethodAccess(properties.readMethods());
    return new GrpcEntryPoint(properties,
        routes -> new ForwardingHandler(authenticator, access, tokens, routes, properties.defaultDeadline(),
            rateLimiter.getIfAvailable(), rateLimits.getIfAvailable(),
            meters.getIfAvailable(io.micrometer.core.instrument.simple.SimpleMeterRegistry::new)));
  }
}
