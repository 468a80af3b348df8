package dev.divergence.gateway.ratelimit;

import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.BucketProxy;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.optimization.Optimizations;
import io.github.bucket4j.postgresql.Bucket4jPostgreSQL;
import io.github.bucket4j.postgresql.PostgreSQLSelectForUpdateBasedProxyManager;
import jakarta.annotation.PreDestroy;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Token buckets per caller and request class, kept in PostgreSQL (Bucket4j, row locked for the
 * update) so that every gateway replica draws from the same bucket.
 */
@Component
public class RateLimiter {

  private static final Logger log = LoggerFactory.getLogger(RateLimiter.class);

  /** What a call used of its bucket, or how long it must wait. */
  public record Decision(boolean allowed, long limit, long remaining, Duration retryAfter, Duration resetAfter) {}

  private final PostgreSQLSelectForUpdateBasedProxyManager<String> buckets;
  private final ScheduledExecutorService cleaner = Executors.newSingleThreadScheduledExecutor(
      Thread.ofPlatform().daemon().name("rate-limit-bucket-cleaner").factory());
  private final Map<RequestClass, BucketConfiguration> configurations = new EnumMap<>(RequestClass.class);
  private final RateLimitProperties properties;
  private final Map<String, BucketProxy> proxies = new java.util.concurrent.ConcurrentHashMap<>();
  private static final int MAX_CACHED_PROXIES = 10_000;

  public RateLimiter(DataSource dataSource, RateLimitProperties properties) {
    this.properties = properties;
    this.buckets = Bucket4jPostgreSQL.selectForUpdateBasedBuilder(dataSource)
        .primaryKeyMapper(io.github.bucket4j.distributed.jdbc.PrimaryKeyMapper.STRING)
        .table("rate_limit_bucket").idColumn("id").stateColumn("state").expiresAtColumn("expires_at")
        // a bucket's row may go once the bucket would be full again: a missing bucket starts full
        .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ofSeconds(10)))
        .build();
    for (RequestClass requestClass : RequestClass.values()) {
      RateLimitProperties.Limit limit = properties.limitOf(requestClass);
      configurations.put(requestClass, BucketConfiguration.builder()
          .addLimit(bandwidth -> bandwidth.capacity(limit.capacity()).refillGreedy(limit.capacity(), limit.period()))
          .build());
    }
    // full buckets need no row: without the cleanup, every caller ever seen would keep one
    cleaner.scheduleWithFixedDelay(this::removeExpiredBuckets, 1, 1, TimeUnit.MINUTES);
  }

  private void removeExpiredBuckets() {
    try {
      while (buckets.removeExpired(1000) == 1000) {
        // a full batch: there may be more
      }
    } catch (RuntimeException e) {
      log.warn("could not remove expired rate limit buckets: {}", e.getMessage());
    }
  }

  @PreDestroy
  void stop() {
    cleaner.shutdownNow();
  }

  /**
   * One proxy per bucket, kept while it is used: Bucket4j's batching then sends the concurrent calls of
   * one caller to the database as one transaction instead of one row lock each. The state stays in
   * PostgreSQL, so replicas still share it; the map only bounds how many proxies one replica keeps.
   */
  private BucketProxy proxyOf(String key, RequestClass requestClass) {
    BucketProxy proxy = proxies.get(key);
    if (proxy != null) {
      return proxy;
    }
    if (proxies.size() >= MAX_CACHED_PROXIES) {
      // many callers at once: start over rather than track recency; a dropped proxy costs one lookup
      proxies.clear();
    }
    return proxies.computeIfAbsent(key, k -> buckets.builder().withOptimization(Optimizations.batching())
        .build(k, () -> configurations.get(requestClass)));
  }

  /** Takes {@code cost} tokens from {@code caller}'s bucket of {@code requestClass}, if it has them. */
  public Decision tryConsume(String caller, RequestClass requestClass, long cost) {
    long limit = properties.limitOf(requestClass).capacity();
    // a request larger than the whole bucket could never pass: it costs the whole bucket instead
    long charged = Math.max(1, Math.min(cost, limit));
    ConsumptionProbe probe = proxyOf(requestClass.apiName() + ":" + caller, requestClass).tryConsumeAndReturnRemaining(charged);
    return new Decision(probe.isConsumed(), limit, probe.getRemainingTokens(),
        Duration.ofNanos(probe.getNanosToWaitForRefill()), Duration.ofNanos(probe.getNanosToWaitForReset()));
  }
}
