package dev.divergence.gateway.auth;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.stereotype.Component;

/** Stores the configured bootstrap admin key at start, so a fresh platform has a first admin. */
@Component
class BootstrapAdminKey implements ApplicationRunner {

  private static final Logger log = LoggerFactory.getLogger(BootstrapAdminKey.class);

  private final ApiKeyService keys;
  private final AuthProperties properties;

  BootstrapAdminKey(ApiKeyService keys, AuthProperties properties) {
    this.keys = keys;
    this.properties = properties;
  }

  @Override
  public void run(ApplicationArguments args) {
    if (properties.bootstrapAdminKey() == null) {
      log.info("no bootstrap admin key configured; admins come from existing keys or the OIDC issuer");
      return;
    }
    boolean stored = keys.ensureBootstrapAdminKey(properties.bootstrapAdminKey());
    log.info(stored ? "stored the bootstrap admin key {}" : "the bootstrap admin key {} is stored already (revoked keys stay revoked)",
        ApiKeySecret.parse(properties.bootstrapAdminKey()).orElseThrow().keyId());
  }
}
