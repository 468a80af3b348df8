package dev.divergence.training.runner.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.divergence.platform.test.EmbeddedInfrastructure;
import dev.divergence.training.run.JobLifecycle;
import dev.divergence.training.run.LocalWorkerPool;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;
import org.springframework.jdbc.core.JdbcTemplate;
import org.springframework.test.annotation.DirtiesContext;
import tools.jackson.databind.json.JsonMapper;

/** runner=kubernetes wired into the service: REST → PostgreSQL → runner → fabric8's mock API server (CRUD). */
@EmbeddedInfrastructure
@EnableKubernetesMockClient(crud = true)
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "divergence.grpc.port=-1",
    "divergence.training.runner=kubernetes",
    "divergence.training.kubernetes.namespace=" + KubernetesRunnerIT.NAMESPACE,
    "divergence.training.kubernetes.image=registry.example/divergence/training:it",
    "divergence.training.kubernetes.poll-interval=500ms"})
// the runner keeps polling the shared database; it must not outlive this class's mock server
@DirtiesContext
class KubernetesRunnerIT {

  static final String NAMESPACE = "training-it";
  private static final String SPEC = """
      {"spec":{"algorithm":"distillation","model":"breast-cancer-mlp-student","dataset":"breast-cancer",
       "budget":{"maxSteps":100},
       "distillation":{"teacherModel":"breast-cancer-mlp-teacher","divergence":{"name":"reverse_kl"}}}}""";

  /** Set by the mock-server extension before the Spring context starts. */
  static KubernetesClient client;

  @TestConfiguration
  static class MockCluster {
    @Bean
    @Primary
    KubernetesClient mockKubernetesClient() {
      return client;
    }
  }

  @LocalServerPort int port;
  @Autowired JdbcTemplate jdbc;
  @Autowired JobLifecycle lifecycle;
  @Autowired ApplicationContext context;

  private final HttpClient http = HttpClient.newHttpClient();
  private final JsonMapper json = JsonMapper.builder().build();

  @Test
  void submittedJobRunsAsAKubernetesJobOfThisImageInWorkerMode() throws Exception {
    assertThat(context.getBeansOfType(KubernetesJobRunner.class)).hasSize(1);
    assertThat(context.getBeansOfType(LocalWorkerPool.class)).as("one runner, chosen by configuration").isEmpty();

    UUID jobId = submit();

    var created = await().atMost(Duration.ofSeconds(20)).until(() -> kubernetesJob(jobId, 1), j -> j != null);
    var container = created.getSpec().getTemplate().getSpec().getContainers().getFirst();
    assertThat(container.getImage()).isEqualTo("registry.example/divergence/training:it");
    assertThat(container.getEnv()).extracting(EnvVar::getName, EnvVar::getValue)
        .contains(org.assertj.core.groups.Tuple.tuple("DIVERGENCE_TRAINING_WORKER_JOB_ID", jobId.toString()),
            org.assertj.core.groups.Tuple.tuple("SPRING_DATASOURCE_URL", System.getProperty("spring.datasource.url")),
            org.assertj.core.groups.Tuple.tuple("SPRING_KAFKA_BOOTSTRAP_SERVERS", System.getProperty("spring.kafka.bootstrap-servers")));
    assertThat(state(jobId)).as("QUEUED until its worker claims it").isEqualTo("QUEUED");
  }

  @Test
  void podThatFailedBeforeItsWorkerClaimedTheJobGivesANewAttempt() throws Exception {
    UUID jobId = submit();
    await().atMost(Duration.ofSeconds(20)).until(() -> kubernetesJob(jobId, 1) != null);

    client.batch().v1().jobs().inNamespace(NAMESPACE).withName(new TrainingAttempt(jobId, 1).kubernetesName())
        .editStatus(j -> {
          j.setStatus(new JobStatusBuilder().withFailed(1).withConditions(new JobConditionBuilder().withType("Failed")
              .withStatus("True").withReason("BackoffLimitExceeded").build()).build());
          return j;
        });

    await().atMost(Duration.ofSeconds(20)).until(() -> kubernetesJob(jobId, 2) != null && kubernetesJob(jobId, 1) == null);
    assertThat(jdbc.queryForObject("SELECT attempt FROM training_job WHERE job_id = ?", Integer.class, jobId)).isEqualTo(2);
    assertThat(state(jobId)).isEqualTo("QUEUED");
    assertThat(jdbc.queryForMap("SELECT state, reason FROM job_attempt WHERE job_id = ? AND attempt = 1", jobId))
        .containsEntry("state", "ABANDONED").containsEntry("reason", "kubernetes:BackoffLimitExceeded");
  }

  @Test
  void cancellingARunningJobDeletesItsKubernetesJob() throws Exception {
    UUID jobId = submit();
    await().atMost(Duration.ofSeconds(20)).until(() -> kubernetesJob(jobId, 1) != null);
    // what the worker in the pod does first
    assertThat(lifecycle.claim(jobId, "training-" + jobId + "-a1-pod")).isPresent();

    HttpResponse<String> cancel = http.send(HttpRequest.newBuilder(
            URI.create("http://localhost:" + port + "/api/v1/training/jobs/" + jobId + "/cancel"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(cancel.statusCode()).isEqualTo(200);

    await().atMost(Duration.ofSeconds(20)).until(() -> kubernetesJob(jobId, 1) == null);
    assertThat(state(jobId)).isEqualTo("CANCELLED");
  }

  private UUID submit() throws Exception {
    HttpResponse<String> response = http.send(HttpRequest.newBuilder(
            URI.create("http://localhost:" + port + "/api/v1/training/jobs"))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(SPEC)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).as(response.body()).isEqualTo(201);
    return UUID.fromString(json.readTree(response.body()).get("jobId").asString());
  }

  private String state(UUID jobId) {
    return jdbc.queryForObject("SELECT state FROM training_job WHERE job_id = ?", String.class, jobId);
  }

  private io.fabric8.kubernetes.api.model.batch.v1.Job kubernetesJob(UUID jobId, int attempt) {
    return client.batch().v1().jobs().inNamespace(NAMESPACE)
        .withName(new TrainingAttempt(jobId, attempt).kubernetesName()).get();
  }
}
