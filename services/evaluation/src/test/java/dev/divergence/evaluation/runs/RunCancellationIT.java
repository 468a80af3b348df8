package dev.divergence.evaluation.runs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.platform.grpc.GrpcServerLifecycle;
import dev.divergence.platform.test.EmbeddedInfrastructure;
import dev.divergence.proto.evaluation.v1.CancelRunRequest;
import dev.divergence.proto.evaluation.v1.EvaluationServiceGrpc;
import dev.divergence.proto.evaluation.v1.ListRunsRequest;
import dev.divergence.proto.evaluation.v1.Run;
import dev.divergence.proto.evaluation.v1.RunState;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Queued runs (this replica runs none: workers = 0) are cancelled at once with their event, an ended
 * run cannot be cancelled again, and listing filters and pages them, over REST and gRPC. Cancelling a
 * running run is tested end to end in ops/local (EvaluationRunsIT).
 */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {"divergence.grpc.port=0",
    "divergence.evaluation.runs.workers=0"})
class RunCancellationIT {

  private final HttpClient http = HttpClient.newHttpClient();
  private final JsonMapper json = JsonMapper.builder().build();

  @LocalServerPort int port;
  @Autowired GrpcServerLifecycle grpc;
  @Autowired JdbcTemplate jdbc;

  @DynamicPropertySource
  static void inferenceNowhere(DynamicPropertyRegistry registry) throws Exception {
    int unused;
    try (ServerSocket socket = new ServerSocket(0)) {
      unused = socket.getLocalPort();
    }
    int nowhere = unused;
    registry.add("divergence.clients.inference.target", () -> "localhost:" + nowhere);
    registry.add("divergence.clients.training.target", () -> "localhost:" + nowhere);
    registry.add("divergence.clients.inference.deadline", () -> "3s");
    // nobody listens there: one attempt each, so that checks at creation do not wait out retries
    registry.add("divergence.clients.inference.max-attempts", () -> "1");
    registry.add("divergence.clients.training.max-attempts", () -> "1");
  }

  private static final String RUN = """
      {"displayName": "%s", "spec": {"model": "m-%s", "suites": ["diversity"], "prompts": {"builtIn": "sentences", "limit": 2}}}""";

  private String create(String name) throws Exception {
    HttpResponse<String> created = send("POST", "/api/v1/evaluation/runs", RUN.formatted(name, name));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    return json.readTree(created.body()).get("runId").asString();
  }

  @Test
  void aQueuedRunIsCancelledAtOnceWithItsEventAndOnlyOnce() throws Exception {
    String id = create("to cancel");
    HttpResponse<String> cancelled = send("POST", "/api/v1/evaluation/runs/" + id + "/cancel", "");
    assertThat(cancelled.statusCode()).as(cancelled.body()).isEqualTo(200);
    JsonNode run = json.readTree(cancelled.body());
    assertThat(run.get("state").asString()).isEqualTo("CANCELLED");
    assertThat(run.get("reason").asString()).isEqualTo("cancelled-by-user");
    assertThat(run.get("finishedAt").isNull()).isFalse();
    assertThat(jdbc.queryForList("SELECT event_type FROM outbox_event WHERE record_key = ?", String.class, id))
        .containsExactly("dev.divergence.evaluation.v1.EvaluationCancelled");

    HttpResponse<String> again = send("POST", "/api/v1/evaluation/runs/" + id + "/cancel", "");
    assertThat(again.statusCode()).isEqualTo(409);
    assertThat(again.body()).contains("already ended");
    assertThat(jdbc.queryForObject("SELECT count(*) FROM outbox_event WHERE record_key = ?", Long.class, id)).isEqualTo(1);
  }

  @Test
  void grpcCancelsAndListsTheSameRuns() throws Exception {
    String name = "grpc-" + System.nanoTime();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      ids.add(create(name));
    }
    ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", grpc.port()).usePlaintext().build();
    try {
      var stub = EvaluationServiceGrpc.newBlockingStub(channel).withDeadlineAfter(java.time.Duration.ofSeconds(30));
      Run cancelled = stub.cancelRun(CancelRunRequest.newBuilder().setRunId(ids.get(0)).build());
      assertThat(cancelled.getState()).isEqualTo(RunState.RUN_STATE_CANCELLED);
      var again = org.assertj.core.api.Assertions.catchThrowableOfType(StatusRuntimeException.class,
          () -> stub.cancelRun(CancelRunRequest.newBuilder().setRunId(ids.get(0)).build()));
      assertThat(again.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);

      var queued = stub.listRuns(ListRunsRequest.newBuilder().setModel("m-" + name).setState(RunState.RUN_STATE_QUEUED).build());
      assertThat(queued.getRunsList()).extracting(Run::getRunId).containsExactly(ids.get(2), ids.get(1));
      var firstPage = stub.listRuns(ListRunsRequest.newBuilder().setModel("m-" + name).setPageSize(2).build());
      assertThat(firstPage.getRunsList()).extracting(Run::getRunId).containsExactly(ids.get(2), ids.get(1));
      var secondPage = stub.listRuns(ListRunsRequest.newBuilder().setModel("m-" + name).setPageSize(2)
          .setPageToken(firstPage.getNextPageToken()).build());
      assertThat(secondPage.getRunsList()).extracting(Run::getRunId).containsExactly(ids.get(0));
      assertThat(secondPage.getNextPageToken()).isEmpty();
    } finally {
      channel.shutdownNow();
    }
    JsonNode rest = json.readTree(send("GET", "/api/v1/evaluation/runs?state=cancelled&model=m-" + name, null).body());
    assertThat(rest.get("runs").size()).isEqualTo(1);
    assertThat(send("GET", "/api/v1/evaluation/runs?pageSize=0", null).statusCode()).isEqualTo(400);
    assertThat(send("GET", "/api/v1/evaluation/runs?trigger=robot", null).body()).contains("trigger");
  }

  private HttpResponse<String> send(String method, String path, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + port + path));
    request = body == null ? request.GET()
        : request.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(body));
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
