package dev.divergence.gateway.route;

import static dev.divergence.gateway.route.ProxyRoutes.proxyTo;
import static org.springframework.web.servlet.function.RequestPredicates.path;

import dev.divergence.gateway.GatewayProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.function.RouterFunction;
import org.springframework.web.servlet.function.RouterFunctions;
import org.springframework.web.servlet.function.ServerResponse;

/**
 * {@code /api/v1/<service>/**} to each configured service, path, query, body and headers unchanged
 * (the services serve {@code /api/v1/<service>/...} themselves), except that the caller's credentials
 * are replaced by the gateway's signed identity ({@link CallerForwarding}). Request id and trace
 * headers travel with the other request headers; platform-commons' RequestIdFilter has already added a
 * request id when the caller sent none.
 */
@Configuration(proxyBeanMethods = false)
class ServiceRoutes {

  static final String API_PREFIX = "/api/v1/";

  @Bean
  RouterFunction<ServerResponse> serviceApiRoutes(GatewayProperties properties, ServiceResilience resilience,
      CallerForwarding callers) {
    RouterFunctions.Builder routes = RouterFunctions.route();
    properties.services().forEach((name, service) -> routes.add(
        proxyTo(name, name, service.uri(), path(API_PREFIX + name + "/**"), resilience, callers).build()));
    return routes.build();
  }
}
