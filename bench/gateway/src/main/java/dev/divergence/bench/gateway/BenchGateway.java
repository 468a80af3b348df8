package dev.divergence.bench.gateway;

import java.util.ArrayList;
import java.util.List;
import org.springframework.boot.SpringApplication;

/**
 * The main class of a gateway JVM started by {@link GatewayBenchmark}: the gateway's own application
 * class (from gateway/target/classes, loaded by name so this module does not compile against it), plus
 * {@link OpenEdge} when {@code -Dbench.open-edge=true}. Every other setting comes as the gateway's
 * ordinary properties on the command line and in the environment.
 */
public final class BenchGateway {

  private BenchGateway() {}

  public static void main(String[] args) throws Exception {
    List<Class<?>> sources = new ArrayList<>();
    sources.add(Class.forName("dev.divergence.gateway.GatewayApplication"));
    if (Boolean.getBoolean("bench.open-edge")) {
      sources.add(OpenEdge.class);
    }
    new SpringApplication(sources.toArray(Class<?>[]::new)).run(args);
  }
}
