package dev.divergence.bench.gateway;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** One gateway in its own JVM ({@link BenchGateway}), its log in a file; ended by {@link #close()}. */
final class GatewayProcess implements AutoCloseable {

  final String name;
  final int port;
  private final Process process;

  private final Path log;

  private GatewayProcess(String name, int port, Process process, Path log) {
    this.name = name;
    this.port = port;
    this.process = process;
    this.log = log;
  }

  String uri() {
    return "http://127.0.0.1:" + port;
  }

  /**
   * Starts the gateway with the given extra properties (on top of its application.yml); {@link #awaitHealthy()}
   * waits until it serves.
   */
  static GatewayProcess launch(String name, boolean openEdge, String classpath, Path log, Map<String, String> environment,
      List<String> properties) throws IOException, InterruptedException {
    int port = freePort();
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-Xms256m");
    command.add("-Xmx512m");
    command.add("-Dbench.open-edge=" + openEdge);
    command.add("-cp");
    command.add(classpath);
    command.add(BenchGateway.class.getName());
    command.add("--server.port=" + port);
    command.addAll(properties);
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    builder.environment().putAll(environment);
    return new GatewayProcess(name, port, builder.start(), log);
  }

  /** Waits (at most 240 s) until the gateway's health answers 200. */
  GatewayProcess awaitHealthy() throws IOException, InterruptedException {
    GatewayProcess gateway = this;
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(240);
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("gateway " + name + " ended at start (exit " + process.exitValue() + "); see " + log);
      }
      try {
        HttpResponse<Void> health = client.send(HttpRequest.newBuilder(URI.create(gateway.uri() + "/actuator/health"))
            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding());
        if (health.statusCode() == 200) {
          return gateway;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(500);
    }
    gateway.close();
    throw new IllegalStateException("gateway " + name + " was not healthy within 240 s; see " + log);
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0)) {
      return socket.getLocalPort();
    }
  }

  @Override
  public void close() throws InterruptedException {
    process.destroy();
    if (!process.waitFor(30, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor();
    }
  }
}
