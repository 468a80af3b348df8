package dev.divergence.gateway.openapi;

import dev.divergence.gateway.GatewayProperties;
import java.util.LinkedHashSet;
import java.util.Set;
import org.springdoc.core.properties.AbstractSwaggerUiConfigProperties.SwaggerUrl;
import org.springdoc.core.properties.SwaggerUiConfigProperties;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Component;

/**
 * Fills the Swagger UI's spec selector ({@code /swagger-ui.html}) from the configured services, so it
 * never lags behind the routes: every service's document first, then the gateway's own.
 */
@Component
class SwaggerSpecList {

  static final String GATEWAY = "gateway";

  SwaggerSpecList(
      SwaggerUiConfigProperties swaggerUi,
      GatewayProperties properties,
      @Value("${springdoc.api-docs.path:/v3/api-docs}") String gatewayDocsPath) {
    Set<SwaggerUrl> urls = new LinkedHashSet<>();
    properties.services().keySet()
        .forEach(name -> urls.add(new SwaggerUrl(name, ServiceApiDocsRoutes.docsPathOf(name), name)));
    urls.add(new SwaggerUrl(GATEWAY, gatewayDocsPath, GATEWAY));
    swaggerUi.setUrls(urls);
  }
}
