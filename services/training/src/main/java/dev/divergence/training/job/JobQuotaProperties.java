package dev.divergence.training.job;

import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * How much of the training service one tenant may hold at once ({@code divergence.training.quotas.*}).
 *
 * @param maxActiveJobs QUEUED and RUNNING jobs per tenant; a submission past it is 429 until one ends
 * @param tenants per-tenant overrides of {@code maxActiveJobs}, by tenant id
 */
@ConfigurationProperties("divergence.training.quotas")
public record JobQuotaProperties(Integer maxActiveJobs, Map<String, Integer> tenants) {

  public JobQuotaProperties {
    maxActiveJobs = maxActiveJobs == null ? 50 : maxActiveJobs;
    tenants = tenants == null ? Map.of() : Map.copyOf(tenants);
    if (maxActiveJobs < 1 || tenants.values().stream().anyMatch(quota -> quota == null || quota < 1)) {
      throw new IllegalArgumentException("divergence.training.quotas: every max-active-jobs must be at least 1");
    }
  }

  public int maxActiveJobs(String tenant) {
    return tenants.getOrDefault(tenant, maxActiveJobs);
  }
}
