package dev.divergence.platform.events;

import java.time.Duration;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.AdminClient;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.Node;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;

/** Part of readiness: the service is not ready while it cannot reach a Kafka broker. */
public class KafkaHealthIndicator extends AbstractHealthIndicator implements DisposableBean {

  private static final Duration TIMEOUT = Duration.ofSeconds(3);
  private final Map<String, Object> adminConfig;
  private volatile AdminClient admin;

  public KafkaHealthIndicator(Map<String, Object> adminConfig) {
    super("Kafka health check failed");
    this.adminConfig = adminConfig;
  }

  @Override
  protected void doHealthCheck(Health.Builder builder) throws Exception {
    var cluster = admin().describeCluster(new DescribeClusterOptions().timeoutMs((int) TIMEOUT.toMillis()));
    Collection<Node> nodes = cluster.nodes().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    builder.up().withDetail("clusterId", cluster.clusterId().get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
        .withDetail("brokers", nodes.size());
  }

  private AdminClient admin() {
    AdminClient current = admin;
    if (current == null) {
      synchronized (this) {
        if (admin == null) {
          admin = AdminClient.create(adminConfig);
        }
        current = admin;
      }
    }
    return current;
  }

  @Override
  public void destroy() {
    AdminClient current = admin;
    if (current != null) {
      current.close(Duration.ofSeconds(2));
    }
  }
}
