package dev.divergence.gateway;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real HTTP server standing in for a service behind the gateway: it records what arrives and
 * answers like a service would (echoing the request id). {@code .../slow} answers after 6 s;
 * {@code /v3/api-docs} serves a small OpenAPI document; {@code .../stream} sends one server-sent
 * event, then the second only once {@link #releaseStream()} is called (so a test can tell a
 * streamed answer from a buffered one).
 */
final class FakeService implements AutoCloseable {

  private static final JsonMapper JSON = JsonMapper.builder().build();

  static final Duration SLOW_ANSWER = Duration.ofSeconds(6);

  record Received(String method, String uri, Headers headers, String body) {}

  private final String name;
  private final HttpServer server;
  private final List<Received> received = new CopyOnWriteArrayList<>();
  private volatile CountDownLatch streamGate = new CountDownLatch(1);

  private FakeService(String name, int port) {
    this.name = name;
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/", this::answer);
    server.start();
  }

  static FakeService start(String name) {
    return new FakeService(name, 0);
  }

  static FakeService startOn(String name, int port) {
    return new FakeService(name, port);
  }

  String uri() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  List<Received> received() {
    return received;
  }

  int receivedCount() {
    return received.size();
  }

  Received lastReceived() {
    return received.getLast();
  }

  private void answer(HttpExchange exchange) throws IOException {
    String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    String uri = exchange.getRequestURI().toString();
    received.add(new Received(exchange.getRequestMethod(), uri, exchange.getRequestHeaders(), body));
    String path = exchange.getRequestURI().getPath();
    if (path.endsWith("/stream")) {
      stream(exchange);
      return;
    }
    if (path.endsWith("/slow")) {
      sleep(SLOW_ANSWER.toMillis());
    }
    String requestId = exchange.getRequestHeaders().getFirst("X-Request-Id");
    if (requestId != null) {
      exchange.getResponseHeaders().set("X-Request-Id", requestId);
    }
    Object answer = path.equals("/v3/api-docs")
        ? Map.of("openapi", "3.1.0", "info", Map.of("title", name, "version", "1"), "paths", Map.of())
        : Map.of("service", name, "method", exchange.getRequestMethod());
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.getResponseHeaders().set("X-Served-By", name);
    byte[] bytes = JSON.writeValueAsBytes(answer);
    int status = exchange.getRequestMethod().equals("POST") ? 201 : 200;
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }

  /** Lets the pending {@code .../stream} answer send its second event, and arms the next one. */
  void releaseStream() {
    CountDownLatch gate = streamGate;
    streamGate = new CountDownLatch(1);
    gate.countDown();
  }

  private void stream(HttpExchange exchange) throws IOException {
    CountDownLatch gate = streamGate;
    exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
    exchange.sendResponseHeaders(200, 0);
    var body = exchange.getResponseBody();
    body.write("event: token\ndata: first\n\n".getBytes(StandardCharsets.UTF_8));
    body.flush();
    try {
      if (!gate.await(20, TimeUnit.SECONDS)) {
        exchange.close();
        return;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    body.write("event: done\ndata: second\n\n".getBytes(StandardCharsets.UTF_8));
    exchange.close();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
