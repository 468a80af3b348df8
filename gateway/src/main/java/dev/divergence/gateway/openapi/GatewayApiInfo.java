package dev.divergence.gateway.openapi;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The gateway's own OpenAPI document: it has few endpoints itself, so it says where the APIs are. */
@Configuration(proxyBeanMethods = false)
class GatewayApiInfo {

  @Bean
  OpenAPI gatewayOpenApi() {
    return new OpenAPI().info(new Info()
        .title("Divergence gateway")
        .version("v1")
        .description("The platform's single entry point. /api/v1/<service>/** is forwarded unchanged to "
            + "training, inference, evaluation and merging; pick a service in the selector above for its API. "
            + "A service that does not answer is reported as 503 application/problem+json."));
  }
}
