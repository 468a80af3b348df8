package dev.divergence.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.divergence.proto.training.v1.ListJobsRequest;
import dev.divergence.proto.training.v1.TrainingServiceGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The edge of the running platform: a caller that goes around the gateway gets nothing from a service,
 * over REST or gRPC, and bad input through the gateway (malformed credentials, control characters,
 * invalid UTF-8, header tricks) is a 4xx problem, never a 5xx, and stores nothing.
 */
class EdgeIT {

  private static LocalPlatform platform;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    platform = LocalPlatform.start(TestPlatforms.builder("edge", Component.KAFKA, Component.POSTGRES, Component.TRAINING,
        Component.GATEWAY).build());
  }

  @AfterAll
  static void stop() {
    if (platform != null) {
      platform.close();
    }
  }

  private HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
    return http.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpRequest.Builder toGateway(String path) {
    return HttpRequest.newBuilder(URI.create(platform.httpUrl(Component.GATEWAY) + path));
  }

  private static void assertProblem(HttpResponse<String> response, int status) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
        type -> assertThat(type).startsWith("application/problem+json"));
  }

  @Test
  void aCallerGoingAroundTheGatewayGetsNothingFromAService() throws Exception {
    String direct = platform.httpUrl(Component.TRAINING) + "/api/v1/training/jobs";
    assertProblem(send(HttpRequest.newBuilder(URI.create(direct)).header("X-Tenant-Id", "default").GET()), 401);
    // an API key is the gateway's business: the service does not take one
    assertProblem(send(HttpRequest.newBuilder(URI.create(direct)).header("X-Api-Key", Credentials.adminKey(platform)).GET()), 401);
    String forged = Credentials.identity(platform);
    String tampered = forged.substring(0, forged.lastIndexOf('.') + 1) + "AAAA" + forged.substring(forged.lastIndexOf('.') + 5);
    assertProblem(send(HttpRequest.newBuilder(URI.create(direct)).header("X-Divergence-Identity", tampered).GET()), 401);
    assertThat(send(Credentials.as(platform, Component.TRAINING, HttpRequest.newBuilder(URI.create(direct))).GET()).statusCode())
        .as("the platform's own signed identity is believed").isEqualTo(200);

    ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", platform.ports().grpc(Component.TRAINING))
        .usePlaintext().build();
    try {
      assertThatThrownBy(() -> TrainingServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
          .listJobs(ListJobsRequest.getDefaultInstance()))
          .isInstanceOfSatisfying(StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAUTHENTICATED));
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void malformedCredentialsAre401() throws Exception {
    for (String authorization : new String[] {"Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer not.a.jwt",
        "Bearer " + "x".repeat(6000), "Bearer dvg_0123456789abcdef_" + "A".repeat(43)}) {
      HttpResponse<String> response = send(toGateway("/api/v1/training/jobs").header("Authorization", authorization).GET());
      assertThat(response.statusCode()).as(authorization.length() > 40 ? authorization.substring(0, 40) : authorization)
          .isIn(400, 401);
      assertThat(response.statusCode()).isLessThan(500);
    }
    assertProblem(send(toGateway("/api/v1/training/jobs").header("X-Api-Key", "dvg_short").GET()), 401);
  }

  @Test
  void controlCharactersAndInvalidUtf8AreRefusedNamingTheFieldAndStoreNothing() throws Exception {
    String spec = """
        {"algorithm":"distillation","model":"breast-cancer-mlp-student","dataset":"breast-cancer",
         "budget":{"maxSteps":10},
         "distillation":{"teacherModel":"breast-cancer-mlp-teacher","divergence":{"name":"js"}}}""";
    String before = send(Credentials.as(platform, Component.GATEWAY, toGateway("/api/v1/training/jobs?pageSize=200")).GET()).body();
    HttpResponse<String> nul = send(Credentials.as(platform, Component.GATEWAY, toGateway("/api/v1/training/jobs"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"displayName\":\"evil\\u0000name\",\"spec\":" + spec + "}")));
    assertProblem(nul, 400);
    assertThat(nul.body()).contains("displayName");

    HttpResponse<String> nulInModel = send(Credentials.as(platform, Component.GATEWAY, toGateway("/api/v1/training/jobs"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"spec\":" + spec.replace("breast-cancer-mlp-student", "mlp\\u0000") + "}")));
    assertProblem(nulInModel, 400);
    assertThat(nulInModel.body()).contains("model");

    byte[] invalidUtf8 = ("{\"displayName\":\"bad \u00ff\",\"spec\":" + spec + "}").getBytes(StandardCharsets.ISO_8859_1);
    HttpResponse<String> badBytes = send(Credentials.as(platform, Component.GATEWAY, toGateway("/api/v1/training/jobs"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(invalidUtf8)));
    assertThat(badBytes.statusCode()).as(badBytes.body()).isBetween(400, 499);

    HttpResponse<String> nulInPath = send(Credentials.as(platform, Component.GATEWAY,
        toGateway("/api/v1/training/models/tiny%00lm")).GET());
    assertThat(nulInPath.statusCode()).as(nulInPath.body()).isBetween(400, 499);

    String after = send(Credentials.as(platform, Component.GATEWAY, toGateway("/api/v1/training/jobs?pageSize=200")).GET()).body();
    assertThat(after).as("nothing stored").isEqualTo(before);
  }

  @Test
  void headerTricksOnTheWireAre4xx() throws Exception {
    // what an HTTP client library will not send: a bare CR inside a header value, and an obs-fold line
    // continuing a header, each an attempt to smuggle a second header past the gateway
    String key = Credentials.adminKey(platform);
    for (String trick : new String[] {
        "X-Api-Key: " + key + "\rX-Tenant-Id: other\r\n",
        "X-Api-Key: " + key + "\r\n X-Divergence-Identity: forged\r\n"}) {
      String status = rawGet("/api/v1/training/jobs", trick);
      assertThat(status).as(trick.replace("\r", "\\r").replace("\n", "\\n")).matches("HTTP/1\\.1 4\\d\\d.*");
    }
  }

  private String rawGet(String path, String headers) throws Exception {
    URI gateway = URI.create(platform.httpUrl(Component.GATEWAY));
    try (Socket socket = new Socket(gateway.getHost(), gateway.getPort())) {
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      out.write(("GET " + path + " HTTP/1.1\r\nHost: " + gateway.getHost() + "\r\n" + headers + "Connection: close\r\n\r\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      StringBuilder line = new StringBuilder();
      for (int b = in.read(); b >= 0 && b != '\n'; b = in.read()) {
        line.append((char) b);
      }
      return line.toString().strip();
    }
  }
}
