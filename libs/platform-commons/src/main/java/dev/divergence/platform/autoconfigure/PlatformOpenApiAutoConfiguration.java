package dev.divergence.platform.autoconfigure;

import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.servers.Server;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Every service documents its REST API with a relative server URL, so "try it out" on the
 * gateway's aggregated page goes through the gateway rather than to the service's own port.
 */
@AutoConfiguration
@ConditionalOnClass(OpenAPI.class)
public class PlatformOpenApiAutoConfiguration {

  @Bean
  @ConditionalOnMissingBean
  OpenAPI serviceOpenApi(@Value("${spring.application.name}") String service) {
    return new OpenAPI()
        .info(new Info().title("Divergence " + service + " API").version("v1")
            .description("REST API of the " + service + " service. Errors are RFC 9457 problem+json."))
        .addServersItem(new Server().url("/").description("through the gateway"));
  }
}
