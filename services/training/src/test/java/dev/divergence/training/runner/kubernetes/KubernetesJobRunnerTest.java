package dev.divergence.training.runner.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.divergence.training.job.Job;
import dev.divergence.training.job.JobState;
import dev.divergence.training.runner.kubernetes.KubernetesRunnerProperties.Resources;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.batch.v1.JobConditionBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The runner against fabric8's mock API server in CRUD mode, with the job lifecycle in memory.
 * One server for the class (starting one per test costs seconds); each test has its own namespace.
 */
@EnableKubernetesMockClient(crud = true)
class KubernetesJobRunnerTest {

  private static final String IMAGE = "registry.example/divergence/training:1.2.3";
  private static final AtomicInteger TESTS = new AtomicInteger();

  static KubernetesClient client;

  private final String namespace = "training-" + TESTS.incrementAndGet();

  private final InMemoryJobAttempts jobs = new InMemoryJobAttempts(3);
  private TrainingJobsApi api;
  private KubernetesJobRunner runner;

  @BeforeEach
  void setUp() {
    KubernetesRunnerProperties properties = new KubernetesRunnerProperties(namespace, IMAGE, "Always", "training-worker",
        Duration.ofHours(1), 600, "divergence-data", "/data", null, List.of("training-db"), List.of("training-config"),
        Map.of("JAVA_TOOL_OPTIONS", "-Xmx3g", TrainingJobManifest.WORKER_JOB_ID_ENV, "not-this-one"), null, null,
        new Resources("2", "8Gi", null), Map.of("distillation", new Resources(null, "16Gi", 1)), Map.of(), List.of());
    TrainingJobManifest manifest = new TrainingJobManifest(properties, Map.of(
        "spring.datasource.url", "jdbc:postgresql://postgres:5432/divergence",
        "spring.kafka.bootstrap-servers", "kafka:9092"));
    api = new TrainingJobsApi(client, namespace, manifest);
    // a poll far away: each round in these tests is the start's or one the test asks for
    runner = new KubernetesJobRunner(api, jobs, Duration.ofHours(1), Duration.ofSeconds(20), Clock.systemUTC());
  }

  @AfterEach
  void tearDown() {
    runner.stop();
  }

  @Test
  void queuedJobGetsAJobThatRunsThisImageInWorkerModeWithItsResources() {
    Job job = jobs.put(InMemoryJobAttempts.job("distillation", JobState.QUEUED, 1));
    runner.start();

    var created = await().atMost(Duration.ofSeconds(10)).until(() -> kubernetesJob(job, 1), j -> j != null);

    assertThat(created.getMetadata().getName()).isEqualTo("training-" + job.id() + "-a1");
    assertThat(created.getMetadata().getLabels()).containsEntry("app.kubernetes.io/part-of", "divergence")
        .containsEntry("divergence.dev/job-id", job.id().toString()).containsEntry("divergence.dev/attempt", "1");
    assertThat(created.getSpec().getBackoffLimit()).as("attempts are the lifecycle's").isZero();
    assertThat(created.getSpec().getTtlSecondsAfterFinished()).isEqualTo(600);
    var pod = created.getSpec().getTemplate().getSpec();
    assertThat(created.getSpec().getTemplate().getMetadata().getLabels()).containsEntry("divergence.dev/attempt", "1");
    assertThat(pod.getRestartPolicy()).isEqualTo("Never");
    assertThat(pod.getServiceAccountName()).isEqualTo("training-worker");
    assertThat(pod.getAutomountServiceAccountToken()).isFalse();
    assertThat(pod.getSecurityContext().getRunAsNonRoot()).isTrue();
    assertThat(pod.getSecurityContext().getRunAsUser()).isEqualTo(10001L);
    assertThat(pod.getSecurityContext().getFsGroup()).isEqualTo(10001L);

    var container = pod.getContainers().getFirst();
    assertThat(container.getImage()).isEqualTo(IMAGE);
    assertThat(container.getImagePullPolicy()).isEqualTo("Always");
    Map<String, EnvVar> env = container.getEnv().stream().collect(Collectors.toMap(EnvVar::getName, Function.identity()));
    assertThat(env.get("DIVERGENCE_TRAINING_WORKER_JOB_ID").getValue())
        .as("worker mode for exactly this job; configuration cannot change it").isEqualTo(job.id().toString());
    assertThat(env.get("DIVERGENCE_TRAINING_WORKER_NAME").getValueFrom().getFieldRef().getFieldPath()).isEqualTo("metadata.name");
    assertThat(env.get("SPRING_DATASOURCE_URL").getValue()).isEqualTo("jdbc:postgresql://postgres:5432/divergence");
    assertThat(env.get("SPRING_KAFKA_BOOTSTRAP_SERVERS").getValue()).isEqualTo("kafka:9092");
    assertThat(env.get("DIVERGENCE_DATA_DIR").getValue()).isEqualTo("/data");
    assertThat(env.get("DIVERGENCE_TRAINING_DATA_DIR").getValue()).isEqualTo("/data");
    assertThat(env.get("JAVA_TOOL_OPTIONS").getValue()).isEqualTo("-Xmx3g");
    assertThat(container.getEnvFrom()).extracting(e -> e.getSecretRef() == null ? null : e.getSecretRef().getName())
        .contains("training-db");
    assertThat(container.getEnvFrom()).extracting(e -> e.getConfigMapRef() == null ? null : e.getConfigMapRef().getName())
        .contains("training-config");

    assertThat(container.getResources().getRequests()).containsEntry("cpu", new Quantity("2"))
        .containsEntry("memory", new Quantity("16Gi")).containsEntry("nvidia.com/gpu", new Quantity("1"));
    assertThat(container.getResources().getLimits()).containsEntry("memory", new Quantity("16Gi"))
        .containsEntry("nvidia.com/gpu", new Quantity("1")).doesNotContainKey("cpu");

    assertThat(container.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
    assertThat(container.getSecurityContext().getAllowPrivilegeEscalation()).isFalse();
    assertThat(container.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
    assertThat(container.getVolumeMounts()).extracting(m -> m.getName() + ":" + m.getMountPath())
        .containsExactlyInAnyOrder("tmp:/tmp", "data:/data");
    assertThat(pod.getVolumes()).anySatisfy(v -> {
      assertThat(v.getName()).isEqualTo("tmp");
      assertThat(v.getEmptyDir()).isNotNull();
    }).anySatisfy(v -> {
      assertThat(v.getName()).isEqualTo("data");
      assertThat(v.getPersistentVolumeClaim().getClaimName()).isEqualTo("divergence-data");
    });
  }

  @Test
  void jobsOfOtherAlgorithmsGetTheDefaultResourcesWithoutGpu() {
    Job job = jobs.put(InMemoryJobAttempts.job("f_dpo", JobState.QUEUED, 1));
    runner.start();

    var created = await().atMost(Duration.ofSeconds(10)).until(() -> kubernetesJob(job, 1), j -> j != null);

    var resources = created.getSpec().getTemplate().getSpec().getContainers().getFirst().getResources();
    assertThat(resources.getRequests()).containsEntry("cpu", new Quantity("2")).containsEntry("memory", new Quantity("8Gi"))
        .doesNotContainKey("nvidia.com/gpu");
  }

  @Test
  void creatingTheSameAttemptAgainFindsTheFirstJob() {
    Job job = jobs.put(InMemoryJobAttempts.job("distillation", JobState.QUEUED, 1));

    assertThat(api.createIfAbsent(job)).isTrue();
    assertThat(api.createIfAbsent(job)).as("an existing Job of that name is not an error").isFalse();

    // a runner starting now (a restart, a second replica) finds it and creates nothing more
    runner.start();
    runner.now();
    runner.now();
    await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> trainingJobs().size() == 1);
    assertThat(jobs.get(job.id()).state()).isEqualTo(JobState.QUEUED);
    assertThat(jobs.lost).isEmpty();
  }

  @Test
  void podThatFailedWithoutReportingBecomesTheNextAttemptWithTheKubernetesReason() {
    Job job = jobs.put(InMemoryJobAttempts.job("distillation", JobState.RUNNING, 1));
    api.createIfAbsent(job);
    client.pods().inNamespace(namespace).resource(new PodBuilder()
        .withNewMetadata().withName("training-" + job.id() + "-a1-x7k2q")
          .withLabels(TrainingAttempt.of(job).labels()).endMetadata()
        .withNewStatus().withPhase("Failed").addNewContainerStatus().withName("worker")
          .withNewState().withNewTerminated().withReason("OOMKilled").withExitCode(137).endTerminated().endState()
        .endContainerStatus().endStatus()
        .build()).create();
    runner.start();

    // the worker's pod died: Kubernetes marks its Job failed, the watch reports it
    client.batch().v1().jobs().inNamespace(namespace).withName(TrainingAttempt.of(job).kubernetesName())
        .editStatus(j -> {
          j.setStatus(new JobStatusBuilder().withFailed(1).withConditions(new JobConditionBuilder()
              .withType("Failed").withStatus("True").withReason("BackoffLimitExceeded")
              .withMessage("Job has reached the specified backoff limit").build()).build());
          return j;
        });

    await().atMost(Duration.ofSeconds(10)).until(() -> !jobs.lost.isEmpty());
    InMemoryJobAttempts.Lost lost = jobs.lost.getFirst();
    assertThat(lost.attempt()).isEqualTo(1);
    assertThat(lost.reason()).isEqualTo("kubernetes:OOMKilled");
    assertThat(lost.message()).contains("BackoffLimitExceeded").contains("OOMKilled").contains("exit code 137");
    assertThat(jobs.get(job.id()).attempt()).isEqualTo(2);

    // the next round starts attempt 2 as a Job of its own and deletes the ended attempt's
    runner.now();
    await().atMost(Duration.ofSeconds(10)).until(() -> kubernetesJob(job, 2) != null && kubernetesJob(job, 1) == null);
    assertThat(jobs.lost).hasSize(1);
  }

  @Test
  void jobWhoseWorkerRecordedTheOutcomeIsDeletedAndNothingIsLost() {
    Job job = jobs.put(InMemoryJobAttempts.job("distillation", JobState.RUNNING, 1));
    api.createIfAbsent(job);
    // the worker recorded SUCCEEDED, then exited 0
    jobs.update(job.id(), JobState.SUCCEEDED, 1, false);
    client.batch().v1().jobs().inNamespace(namespace).withName(TrainingAttempt.of(job).kubernetesName())
        .editStatus(j -> {
          j.setStatus(new JobStatusBuilder().withSucceeded(1)
              .withConditions(new JobConditionBuilder().withType("Complete").withStatus("True").build()).build());
          return j;
        });
    runner.start();

    await().atMost(Duration.ofSeconds(10)).until(() -> kubernetesJob(job, 1) == null);
    assertThat(jobs.lost).isEmpty();
    assertThat(jobs.get(job.id()).state()).isEqualTo(JobState.SUCCEEDED);
  }

  @Test
  void cancellingARunningJobDeletesItsKubernetesJob() {
    Job job = jobs.put(InMemoryJobAttempts.job("distillation", JobState.RUNNING, 1));
    api.createIfAbsent(job);
    runner.start();
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> kubernetesJob(job, 1) != null);

    jobs.update(job.id(), JobState.RUNNING, 1, true);
    runner.now();

    await().atMost(Duration.ofSeconds(10)).until(() -> kubernetesJob(job, 1) == null);
    assertThat(jobs.cancelled).containsExactly(job.id());
    assertThat(jobs.get(job.id()).state()).isEqualTo(JobState.CANCELLED);
    assertThat(jobs.lost).isEmpty();
  }

  @Test
  void runningJobWithoutHeartbeatGetsANewAttemptAndItsOldJobIsDeleted() {
    Job job = jobs.put(InMemoryJobAttempts.job("distillation", JobState.RUNNING, 1));
    api.createIfAbsent(job);
    jobs.silent.add(job.id());
    runner.start();

    await().atMost(Duration.ofSeconds(10)).until(() -> !jobs.lost.isEmpty());
    assertThat(jobs.lost.getFirst().reason()).isEqualTo("worker-lost");
    runner.now();
    await().atMost(Duration.ofSeconds(10)).until(() -> kubernetesJob(job, 2) != null && kubernetesJob(job, 1) == null);
  }

  private io.fabric8.kubernetes.api.model.batch.v1.Job kubernetesJob(Job job, int attempt) {
    return client.batch().v1().jobs().inNamespace(namespace)
        .withName(new TrainingAttempt(job.id(), attempt).kubernetesName()).get();
  }

  private List<io.fabric8.kubernetes.api.model.batch.v1.Job> trainingJobs() {
    return client.batch().v1().jobs().inNamespace(namespace).withLabels(TrainingAttempt.RUNNER_SELECTOR).list().getItems();
  }
}
