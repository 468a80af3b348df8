package dev.divergence.training.runner.kubernetes;

import dev.divergence.training.job.Job;
import dev.divergence.training.runner.kubernetes.KubernetesRunnerProperties.Resources;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvFromSourceBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.TolerationBuilder;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.batch.v1.JobBuilder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The batch/v1 Job that runs one attempt of one training job: this image, in worker mode. */
final class TrainingJobManifest {

  static final String CONTAINER = "worker";
  static final String GPU_RESOURCE = "nvidia.com/gpu";
  static final String WORKER_JOB_ID_ENV = "DIVERGENCE_TRAINING_WORKER_JOB_ID";
  static final String WORKER_NAME_ENV = "DIVERGENCE_TRAINING_WORKER_NAME";
  static final String DATA_DIR_ENV = "DIVERGENCE_DATA_DIR";
  /** Binds {@code divergence.training.data-dir} directly, whatever application.yml maps the variable above to. */
  static final String TRAINING_DATA_DIR_ENV = "DIVERGENCE_TRAINING_DATA_DIR";

  private final KubernetesRunnerProperties properties;
  private final Map<String, String> passedThrough;

  /**
   * @param passedThrough values of {@link KubernetesRunnerProperties#passThrough()} in this process,
   *     by property name; missing ones are left out
   */
  TrainingJobManifest(KubernetesRunnerProperties properties, Map<String, String> passedThrough) {
    if (properties.image() == null) {
      throw new IllegalStateException("divergence.training.kubernetes.image must name the training image");
    }
    this.properties = properties;
    this.passedThrough = Map.copyOf(passedThrough);
  }

  io.fabric8.kubernetes.api.model.batch.v1.Job build(Job job) {
    TrainingAttempt attempt = TrainingAttempt.of(job);
    return new JobBuilder()
        .withNewMetadata()
          .withName(attempt.kubernetesName())
          .withLabels(attempt.labels())
        .endMetadata()
        .withNewSpec()
          // attempts are the lifecycle's: a failed pod is reported and becomes a new attempt (and Job)
          .withBackoffLimit(0)
          .withTtlSecondsAfterFinished(properties.ttlSecondsAfterFinished())
          .withNewTemplate()
            .withNewMetadata().withLabels(attempt.labels()).endMetadata()
            .withNewSpec()
              .withRestartPolicy("Never")
              .withServiceAccountName(properties.serviceAccount())
              // the worker talks to the database and Kafka only, never to the Kubernetes API
              .withAutomountServiceAccountToken(false)
              .withNodeSelector(properties.nodeSelector().isEmpty() ? null : properties.nodeSelector())
              .withTolerations(tolerations())
              .withNewSecurityContext()
                .withRunAsNonRoot(true)
                .withRunAsUser(properties.runAsUser())
                .withRunAsGroup(properties.runAsUser())
                .withFsGroup(properties.fsGroup())
                .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
              .endSecurityContext()
              .addNewContainer()
                .withName(CONTAINER)
                .withImage(properties.image())
                .withImagePullPolicy(properties.imagePullPolicy())
                .withEnv(env(job))
                .withEnvFrom(envFrom())
                .withResources(resources(properties.resourcesFor(job.spec().algorithm())))
                .withNewSecurityContext()
                  .withAllowPrivilegeEscalation(false)
                  .withReadOnlyRootFilesystem(true)
                  .withNewCapabilities().withDrop("ALL").endCapabilities()
                .endSecurityContext()
                .addNewVolumeMount().withName("tmp").withMountPath("/tmp").endVolumeMount()
                .addNewVolumeMount().withName("data").withMountPath(properties.dataMountPath()).endVolumeMount()
              .endContainer()
              .withVolumes(volumes())
            .endSpec()
          .endTemplate()
        .endSpec()
        .build();
  }

  private List<EnvVar> env(Job job) {
    // later entries win: the worker-mode variables cannot be overridden by configuration
    Map<String, String> literal = new LinkedHashMap<>();
    passedThrough.forEach((property, value) -> literal.put(environmentName(property), value));
    literal.putAll(properties.env());
    literal.put(DATA_DIR_ENV, properties.dataMountPath());
    literal.put(TRAINING_DATA_DIR_ENV, properties.dataMountPath());
    literal.put(WORKER_JOB_ID_ENV, job.id().toString());
    literal.remove(WORKER_NAME_ENV);
    List<EnvVar> env = new ArrayList<>();
    literal.forEach((name, value) -> env.add(new EnvVar(name, value, null)));
    // the pod's name identifies the worker in the attempt history and in heartbeats
    env.add(new EnvVarBuilder().withName(WORKER_NAME_ENV)
        .withNewValueFrom().withNewFieldRef().withFieldPath("metadata.name").endFieldRef().endValueFrom().build());
    return env;
  }

  private List<EnvFromSource> envFrom() {
    List<EnvFromSource> sources = new ArrayList<>();
    properties.envFromConfigMaps().forEach(name ->
        sources.add(new EnvFromSourceBuilder().withNewConfigMapRef().withName(name).endConfigMapRef().build()));
    properties.envFromSecrets().forEach(name ->
        sources.add(new EnvFromSourceBuilder().withNewSecretRef().withName(name).endSecretRef().build()));
    return sources;
  }

  private static ResourceRequirements resources(Resources resources) {
    Map<String, Quantity> requests = new LinkedHashMap<>();
    Map<String, Quantity> limits = new LinkedHashMap<>();
    requests.put("cpu", new Quantity(resources.cpu()));
    requests.put("memory", new Quantity(resources.memory()));
    limits.put("memory", new Quantity(resources.memory()));
    if (resources.gpu() != null && resources.gpu() > 0) {
      // extended resources are whole units and must be limited; request = limit
      requests.put(GPU_RESOURCE, new Quantity(Integer.toString(resources.gpu())));
      limits.put(GPU_RESOURCE, new Quantity(Integer.toString(resources.gpu())));
    }
    return new ResourceRequirementsBuilder().withRequests(requests).withLimits(limits).build();
  }

  private List<Volume> volumes() {
    // the root filesystem is read-only; the JVM, Tomcat and libtorch need a writable /tmp
    Volume tmp = new VolumeBuilder().withName("tmp").withNewEmptyDir().endEmptyDir().build();
    Volume data = properties.dataVolumeClaim() == null
        ? new VolumeBuilder().withName("data").withNewEmptyDir().endEmptyDir().build()
        : new VolumeBuilder().withName("data")
            .withNewPersistentVolumeClaim().withClaimName(properties.dataVolumeClaim()).endPersistentVolumeClaim().build();
    return List.of(tmp, data);
  }

  /** {@code spring.datasource.url} → {@code SPRING_DATASOURCE_URL}, as Spring's relaxed binding reads it back. */
  static String environmentName(String property) {
    return property.replace('.', '_').replace('-', '_').toUpperCase(Locale.ROOT);
  }

  private List<io.fabric8.kubernetes.api.model.Toleration> tolerations() {
    return properties.tolerations().stream()
        .map(t -> new TolerationBuilder().withKey(t.key()).withOperator(t.operator()).withValue(t.value())
            .withEffect(t.effect()).withTolerationSeconds(t.tolerationSeconds()).build())
        .toList();
  }
}
