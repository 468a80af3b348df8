package dev.divergence.gateway.route;

import static org.springframework.cloud.gateway.server.mvc.filter.AfterFilterFunctions.removeResponseHeader;
import static org.springframework.cloud.gateway.server.mvc.filter.BeforeFilterFunctions.uri;
import static org.springframework.cloud.gateway.server.mvc.handler.GatewayRouterFunctions.route;
import static org.springframework.cloud.gateway.server.mvc.handler.HandlerFunctions.http;

import dev.divergence.platform.web.RequestIdFilter;
import java.net.URI;
import org.springframework.web.servlet.function.RequestPredicate;
import org.springframework.web.servlet.function.RouterFunctions;

/** The one way the gateway forwards to a service, so every route gets the same treatment. */
public final class ProxyRoutes {

  private ProxyRoutes() {}

  /**
   * A route forwarding what {@code predicate} matches to {@code serviceUri}, guarded by the service's
   * circuit breaker and retry, carrying the gateway's proof of the caller instead of its credentials. Callers may add more filters (e.g. a path rewrite) before building.
   */
  public static RouterFunctions.Builder proxyTo(
      String routeId, String service, URI serviceUri, RequestPredicate predicate, ServiceResilience resilience,
      CallerForwarding callers) {
    return route(routeId)
        .route(predicate, http())
        .before(uri(serviceUri))
        .before(callers::forward)
        .filter(resilience.forService(service))
        // the gateway's RequestIdFilter already answers with the id; the service's echo would repeat it
        .after(removeResponseHeader(RequestIdFilter.HEADER));
  }
}
