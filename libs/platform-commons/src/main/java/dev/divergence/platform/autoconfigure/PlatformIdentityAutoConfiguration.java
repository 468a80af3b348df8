package dev.divergence.platform.autoconfigure;

import dev.divergence.platform.tenancy.IdentityPolicy;
import dev.divergence.platform.tenancy.IdentityProperties;
import java.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/**
 * Who calls are for: the {@link IdentityPolicy} the REST filter, the gRPC server and the gRPC clients
 * share. Token lifetimes are real time, so the policy reads the system clock, not the service's
 * (possibly fixed, in tests) {@link Clock} bean.
 */
@AutoConfiguration
@EnableConfigurationProperties(IdentityProperties.class)
public class PlatformIdentityAutoConfiguration {

  private static final Logger log = LoggerFactory.getLogger(PlatformIdentityAutoConfiguration.class);

  @Bean
  @ConditionalOnMissingBean
  IdentityPolicy identityPolicy(IdentityProperties properties, @Value("${spring.application.name:service}") String name) {
    IdentityPolicy policy = IdentityPolicy.from(properties, name, Clock.systemUTC());
    if (policy.mode() == IdentityProperties.Mode.TRUST_HEADERS) {
      log.warn("divergence.security.identity.mode=trust-headers: this service believes any caller's X-Tenant-Id;"
          + " for a service's own tests only, never deploy it so");
    }
    return policy;
  }
}
