package dev.divergence.bench.gateway;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The service behind the gateway in this benchmark: a JDK HTTP server that reads the request and
 * answers a fixed small JSON at once (a job list to GET, a created job to POST .../jobs, a generation
 * to POST .../generate), so what is measured is the gateway and not a service.
 */
final class TrivialBackend implements AutoCloseable {

  private static final byte[] LIST = "{\"items\":[],\"nextPageToken\":null}".getBytes(StandardCharsets.UTF_8);
  private static final byte[] CREATED =
      "{\"id\":\"00000000-0000-0000-0000-000000000001\",\"state\":\"QUEUED\"}".getBytes(StandardCharsets.UTF_8);
  private static final byte[] GENERATED =
      "{\"model\":\"tiny-lm\",\"text\":\"19\",\"tokens\":2,\"finishReason\":\"length\"}".getBytes(StandardCharsets.UTF_8);

  private final HttpServer server;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  final AtomicLong requests = new AtomicLong();
  final AtomicLong withIdentity = new AtomicLong();

  TrivialBackend() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
    server.setExecutor(executor);
    server.createContext("/", this::answer);
    server.start();
  }

  String uri() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  private void answer(HttpExchange exchange) throws IOException {
    try (exchange; InputStream body = exchange.getRequestBody()) {
      body.readAllBytes();
      requests.incrementAndGet();
      if (exchange.getRequestHeaders().containsKey("X-divergence-identity")) {
        withIdentity.incrementAndGet();
      }
      String path = exchange.getRequestURI().getPath();
      int status = 200;
      byte[] answer = LIST;
      if ("POST".equals(exchange.getRequestMethod())) {
        if (path.endsWith("/generate")) {
          answer = GENERATED;
        } else {
          status = 201;
          answer = CREATED;
        }
      }
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(status, answer.length);
      exchange.getResponseBody().write(answer);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
