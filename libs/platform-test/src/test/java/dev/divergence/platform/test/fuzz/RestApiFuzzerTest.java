package dev.divergence.platform.test.fuzz;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The REST fuzzer against a small server with the defect it was written for: a NUL in a string field
 * answered with a 500. The fuzzer must find it, name the seed and show the request; a server without
 * the defect must pass.
 */
class RestApiFuzzerTest {

  private static final String DOCUMENT = """
      {"openapi":"3.1.0","paths":{"/things":{"post":{"requestBody":{"content":{"application/json":
        {"schema":{"$ref":"#/components/schemas/Thing"}}}}}},
       "/things/{id}":{"get":{"parameters":[{"name":"id","in":"path","required":true,"schema":{"type":"string"}}]}}},
       "components":{"schemas":{"Thing":{"type":"object","properties":{"name":{"type":"string"},
         "size":{"type":"integer","format":"int32"},"tags":{"type":"array","items":{"type":"string"}}}}}}}""";

  private HttpServer server;
  private volatile boolean nulIsAServerError;

  @BeforeEach
  void start() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/v3/api-docs", exchange -> answer(exchange, 200, "application/json", DOCUMENT));
    server.createContext("/things", exchange -> {
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      String target = exchange.getRequestURI().getRawPath() + body;
      boolean nul = target.contains("\\u0000") || target.contains("%00");
      if (nul && nulIsAServerError) {
        answer(exchange, 500, "application/json", "{}");
      } else {
        answer(exchange, 400, "application/problem+json", "{\"status\":400,\"errors\":[{\"field\":\"name\",\"message\":\"bad\"}]}");
      }
    });
    server.start();
  }

  @AfterEach
  void stop() {
    server.stop(0);
  }

  @Test
  void findsTheServerErrorAndReportsSeedAndRequest() throws Exception {
    nulIsAServerError = true;
    FuzzReport report = fuzzer(300).run();
    assertThat(report.failures()).isNotEmpty();
    assertThat(report.failures().get(0).rule()).isEqualTo("was answered with a server error");
    assertThatThrownBy(report::assertNoFailures)
        .hasMessageContaining("seed 42; rerun with -Dfuzz.seed=42")
        .hasMessageContaining("\\u0000");
  }

  @Test
  void passesAServerThatRejectsEveryBadRequest() throws Exception {
    nulIsAServerError = false;
    FuzzReport report = fuzzer(300).run();
    report.assertNoFailures();
    assertThat(report.requests()).isEqualTo(300);
    assertThat(report.outcomes()).containsKeys("POST /things 400", "GET /things/{id} 400");
  }

  @Test
  void findsA400ThatDoesNotNameTheField() throws Exception {
    server.removeContext("/things");
    server.createContext("/things", exchange -> answer(exchange, 400, "text/html", "<html>Bad Request</html>"));
    FuzzReport report = fuzzer(50).run();
    assertThat(report.failures()).isNotEmpty()
        .allSatisfy(failure -> assertThat(failure.rule()).isEqualTo("was a 400 without a problem+json naming the field"));
  }

  /** A server whose valid POST /things needs a service that is absent (503 problem+json); bad ones are 400. */
  private void thingsNeedAnAbsentService(String unavailableType) {
    server.removeContext("/things");
    server.createContext("/things", exchange -> {
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      boolean valid = "POST".equals(exchange.getRequestMethod()) && body.equals("{\"name\":\"a\",\"size\":1,\"tags\":[\"x\"]}");
      if (valid) {
        answer(exchange, 503, unavailableType, "{\"status\":503,\"detail\":\"inference is unavailable\"}");
      } else {
        answer(exchange, 400, "application/problem+json", "{\"status\":400,\"errors\":[{\"field\":\"name\",\"message\":\"bad\"}]}");
      }
    });
  }

  @Test
  void a503IsAServerErrorUnlessTheOperationIsDeclaredUnavailable() throws Exception {
    thingsNeedAnAbsentService("application/problem+json");
    FuzzReport undeclared = fuzzer(300).run();
    assertThat(undeclared.outcomes()).containsKey("POST /things 503");
    assertThat(undeclared.failures()).isNotEmpty()
        .allSatisfy(failure -> assertThat(failure.rule()).isEqualTo("was answered with a server error"));

    FuzzReport declared = fuzzerBuilder(300).unavailable("POST", "/things").build().run();
    assertThat(declared.outcomes()).containsKeys("POST /things 503", "POST /things 400");
    declared.assertNoFailures();
  }

  @Test
  void aDeclaredUnavailableOperationStillFailsOnA503ThatIsNoProblemOrOnAnother5xx() throws Exception {
    thingsNeedAnAbsentService("text/html");
    FuzzReport notAProblem = fuzzerBuilder(300).unavailable("POST", "/things").build().run();
    assertThat(notAProblem.failures()).isNotEmpty()
        .allSatisfy(failure -> assertThat(failure.rule()).isEqualTo("was a 503 without a problem+json"));

    server.removeContext("/things");
    start500OnNul();
    FuzzReport internalError = fuzzerBuilder(300).unavailable("POST", "/things").build().run();
    assertThat(internalError.failures()).isNotEmpty()
        .allSatisfy(failure -> assertThat(failure.rule()).isEqualTo("was answered with a server error"));
  }

  private void start500OnNul() {
    server.createContext("/things", exchange -> {
      String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
      String target = exchange.getRequestURI().getRawPath() + body;
      if (target.contains("\\u0000") || target.contains("%00")) {
        answer(exchange, 500, "application/json", "{}");
      } else {
        answer(exchange, 400, "application/problem+json", "{\"status\":400,\"errors\":[{\"field\":\"name\",\"message\":\"bad\"}]}");
      }
    });
  }

  @Test
  void theSameSeedSendsTheSameRequests() throws Exception {
    nulIsAServerError = true;
    assertThat(fuzzer(200).run().failures()).map(FuzzFailure::request)
        .isEqualTo(fuzzer(200).run().failures().stream().map(FuzzFailure::request).toList());
  }

  private RestApiFuzzer fuzzer(int requests) {
    return fuzzerBuilder(requests).build();
  }

  private RestApiFuzzer.Builder fuzzerBuilder(int requests) {
    return RestApiFuzzer.forService("http://127.0.0.1:" + server.getAddress().getPort())
        .seed(42).requests(requests).example("POST", "/things", "{\"name\":\"a\",\"size\":1,\"tags\":[\"x\"]}");
  }

  private static void answer(HttpExchange exchange, int status, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().add("Content-Type", type);
    exchange.sendResponseHeaders(status, bytes.length);
    exchange.getResponseBody().write(bytes);
    exchange.close();
  }
}
