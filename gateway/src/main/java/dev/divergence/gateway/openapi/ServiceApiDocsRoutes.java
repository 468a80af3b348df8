package dev.divergence.gateway.openapi;

import static dev.divergence.gateway.route.ProxyRoutes.proxyTo;
import static org.springframework.cloud.gateway.server.mvc.filter.BeforeFilterFunctions.setPath;
import static org.springframework.web.servlet.function.RequestPredicates.GET;

import dev.divergence.gateway.GatewayProperties;
import dev.divergence.gateway.route.CallerForwarding;
import dev.divergence.gateway.route.ServiceResilience;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.function.RouterFunction;
import org.springframework.web.servlet.function.RouterFunctions;
import org.springframework.web.servlet.function.ServerResponse;

/**
 * Each service serves its own OpenAPI document at {@code /v3/api-docs}; the gateway exposes it as
 * {@code /api-docs/<service>}, with the same resilience as the API routes. The Swagger UI fetches
 * every document from the gateway's origin: no CORS, no service port exposed to the browser.
 */
@Configuration(proxyBeanMethods = false)
class ServiceApiDocsRoutes {

  static final String DOCS_PREFIX = "/api-docs/";
  static final String SERVICE_DOCS_PATH = "/v3/api-docs";

  @Bean
  RouterFunction<ServerResponse> apiDocsRoutes(GatewayProperties properties, ServiceResilience resilience,
      CallerForwarding callers) {
    RouterFunctions.Builder routes = RouterFunctions.route();
    properties.services().forEach((name, service) -> routes.add(
        proxyTo(name + "-api-docs", name, service.uri(), GET(docsPathOf(name)), resilience, callers)
            .before(setPath(SERVICE_DOCS_PATH))
            .build()));
    return routes.build();
  }

  static String docsPathOf(String service) {
    return DOCS_PREFIX + service;
  }
}
