package dev.divergence.training.runner.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.divergence.training.job.JobState;
import dev.divergence.training.runner.kubernetes.KubernetesRunnerProperties.Resources;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TrainingJobManifestTest {

  @Test
  void defaultsAreOneCpuFourGibibytesNoGpuAndAThrowawayDataVolume() {
    KubernetesRunnerProperties properties = properties(Map.of("image", "divergence/training:dev"));
    var job = new TrainingJobManifest(properties, Map.of())
        .build(InMemoryJobAttempts.job("supervised", JobState.QUEUED, 3));

    var spec = job.getSpec().getTemplate().getSpec();
    var resources = spec.getContainers().getFirst().getResources();
    assertThat(resources.getRequests()).containsOnlyKeys("cpu", "memory")
        .containsEntry("cpu", new Quantity("1")).containsEntry("memory", new Quantity("4Gi"));
    assertThat(spec.getVolumes()).filteredOn(v -> v.getName().equals("data")).singleElement()
        .satisfies(v -> assertThat(v.getEmptyDir()).isNotNull());
    assertThat(spec.getServiceAccountName()).isNull();
    assertThat(spec.getContainers().getFirst().getImagePullPolicy()).isEqualTo("IfNotPresent");
    assertThat(job.getSpec().getTtlSecondsAfterFinished()).isEqualTo(3600);
    assertThat(job.getMetadata().getName()).endsWith("-a3").hasSizeLessThanOrEqualTo(63);
  }

  @Test
  void anAlgorithmsOverrideKeepsTheDefaultsItDoesNotSet() {
    KubernetesRunnerProperties properties = new KubernetesRunnerProperties(null, "img", null, null, null, null, null,
        null, null, null, null, null, null, null, new Resources("4", null, null),
        Map.of("distillation", new Resources(null, null, 2)), null, null);
    assertThat(properties.resourcesFor("distillation")).isEqualTo(new Resources("4", "4Gi", 2));
    assertThat(properties.resourcesFor("f_dpo")).isEqualTo(new Resources("4", "4Gi", 0));
  }

  @Test
  void workersToleratePoolTaintsFromTheSettings() {
    // a GPU pool is usually tainted; without the toleration a worker that needs a GPU stays Pending
    KubernetesRunnerProperties properties = new KubernetesRunnerProperties(null, "img", null, null, null, null, null,
        null, null, null, null, null, null, null, null, null, Map.of("pool", "gpu"),
        List.of(new KubernetesRunnerProperties.Toleration("nvidia.com/gpu", "Exists", null, "NoSchedule", null),
            new KubernetesRunnerProperties.Toleration("spot", "Equal", "true", "NoExecute", 300L)));
    var pod = new TrainingJobManifest(properties, Map.of()).build(InMemoryJobAttempts.job("distillation", JobState.QUEUED, 1))
        .getSpec().getTemplate().getSpec();
    assertThat(pod.getTolerations()).containsExactly(
        new TolerationBuilder().withKey("nvidia.com/gpu").withOperator("Exists").withEffect("NoSchedule").build(),
        new TolerationBuilder().withKey("spot").withOperator("Equal").withValue("true").withEffect("NoExecute")
            .withTolerationSeconds(300L).build());
    assertThat(pod.getNodeSelector()).containsEntry("pool", "gpu");
    assertThat(new TrainingJobManifest(properties(Map.of("image", "img")), Map.of())
        .build(InMemoryJobAttempts.job("distillation", JobState.QUEUED, 1)).getSpec().getTemplate().getSpec().getTolerations())
        .as("no tolerations unless set").isEmpty();
  }

  @Test
  void anImageIsRequired() {
    assertThatThrownBy(() -> new TrainingJobManifest(properties(Map.of()), Map.of()))
        .hasMessageContaining("divergence.training.kubernetes.image");
  }

  @Test
  void propertyNamesBecomeTheEnvironmentVariablesSpringReadsBack() {
    assertThat(TrainingJobManifest.environmentName("spring.kafka.bootstrap-servers")).isEqualTo("SPRING_KAFKA_BOOTSTRAP_SERVERS");
  }

  private static KubernetesRunnerProperties properties(Map<String, String> values) {
    return new KubernetesRunnerProperties(null, values.get("image"), null, null, null, null, null, null, null, null,
        null, null, null, null, null, null, null, null);
  }
}
