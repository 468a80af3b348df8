package dev.divergence.training.runner.kubernetes;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of the Kubernetes runner ({@code divergence.training.runner=kubernetes}).
 *
 * @param namespace where the training Jobs are created; empty = the client's namespace (in-cluster: the pod's own)
 * @param image the training service image; its worker mode runs one job attempt (required)
 * @param imagePullPolicy Always, IfNotPresent or Never
 * @param serviceAccount the worker pods' service account; empty = the namespace's default
 * @param pollInterval how often QUEUED jobs are looked for when no submission woke the runner
 * @param ttlSecondsAfterFinished Kubernetes removes finished Jobs after this long even if the runner is down
 * @param dataVolumeClaim PersistentVolumeClaim (ReadWriteMany) shared with the API for models,
 *     datasets and checkpoints; empty = an emptyDir, so nothing survives the pod (trying out only)
 * @param dataMountPath where the data volume is mounted; becomes the worker's {@code DIVERGENCE_DATA_DIR}
 * @param passThrough properties of this process copied into the worker as environment variables
 *     (database and Kafka addresses); secrets belong in {@code envFromSecrets}, never here
 * @param envFromSecrets Secrets whose keys become the worker's environment (e.g. SPRING_DATASOURCE_PASSWORD)
 * @param envFromConfigMaps ConfigMaps whose keys become the worker's environment
 * @param env further literal environment variables of the worker
 * @param runAsUser the non-root user (and group) the worker runs as
 * @param fsGroup group that owns the mounted volumes, so the non-root worker may write them
 * @param resources what every worker requests
 * @param resourcesByAlgorithm per algorithm ("distillation", "f_dpo", "f_dpg", "rlvr", "supervised") overrides of {@code resources}
 * @param nodeSelector labels a worker's node must have (e.g. a GPU node pool)
 * @param tolerations taints a worker tolerates (e.g. the GPU pool's), as in a pod spec
 */
@ConfigurationProperties("divergence.training.kubernetes")
public record KubernetesRunnerProperties(
    String namespace,
    String image,
    String imagePullPolicy,
    String serviceAccount,
    Duration pollInterval,
    Integer ttlSecondsAfterFinished,
    String dataVolumeClaim,
    String dataMountPath,
    List<String> passThrough,
    List<String> envFromSecrets,
    List<String> envFromConfigMaps,
    Map<String, String> env,
    Long runAsUser,
    Long fsGroup,
    Resources resources,
    Map<String, Resources> resourcesByAlgorithm,
    Map<String, String> nodeSelector,
    List<Toleration> tolerations) {

  /**
   * Database and Kafka addresses the worker needs to reach the same job store and broker, and the
   * lifecycle settings both sides must agree on (those this process does not set are left out).
   */
  static final List<String> DEFAULT_PASS_THROUGH = List.of("spring.datasource.url", "spring.datasource.username",
      "spring.kafka.bootstrap-servers", "divergence.training.heartbeat-interval", "divergence.training.max-attempts",
      "divergence.training.built-in-budget");

  public KubernetesRunnerProperties {
    namespace = blankToNull(namespace);
    image = blankToNull(image);
    imagePullPolicy = imagePullPolicy == null ? "IfNotPresent" : imagePullPolicy;
    serviceAccount = blankToNull(serviceAccount);
    pollInterval = pollInterval == null ? Duration.ofSeconds(5) : pollInterval;
    ttlSecondsAfterFinished = ttlSecondsAfterFinished == null ? 3600 : ttlSecondsAfterFinished;
    dataVolumeClaim = blankToNull(dataVolumeClaim);
    dataMountPath = dataMountPath == null ? "/data" : dataMountPath;
    passThrough = passThrough == null ? DEFAULT_PASS_THROUGH : List.copyOf(passThrough);
    envFromSecrets = envFromSecrets == null ? List.of() : List.copyOf(envFromSecrets);
    envFromConfigMaps = envFromConfigMaps == null ? List.of() : List.copyOf(envFromConfigMaps);
    env = env == null ? Map.of() : Map.copyOf(env);
    runAsUser = runAsUser == null ? 10001L : runAsUser;
    fsGroup = fsGroup == null ? runAsUser : fsGroup;
    resources = Resources.DEFAULT.overriddenBy(resources);
    resourcesByAlgorithm = resourcesByAlgorithm == null ? Map.of() : Map.copyOf(resourcesByAlgorithm);
    nodeSelector = nodeSelector == null ? Map.of() : Map.copyOf(nodeSelector);
    tolerations = tolerations == null ? List.of() : List.copyOf(tolerations);
  }

  /** What a worker of this algorithm requests: the defaults with the algorithm's overrides. */
  public Resources resourcesFor(String algorithm) {
    return resources.overriddenBy(resourcesByAlgorithm.get(algorithm));
  }

  private static String blankToNull(String value) {
    return value == null || value.isBlank() ? null : value;
  }

  /**
   * A taint a worker tolerates, with the fields and meaning of a pod's toleration.
   *
   * @param key the taint's key (empty with Exists: every taint)
   * @param operator Exists or Equal (Kubernetes' default: Equal)
   * @param value the taint's value, with Equal
   * @param effect NoSchedule, PreferNoSchedule or NoExecute (empty: every effect)
   * @param tolerationSeconds with NoExecute, how long the worker stays after the taint appears
   */
  public record Toleration(String key, String operator, String value, String effect, Long tolerationSeconds) {}

  /**
   * Requests of one worker container. Memory is also its limit (a trainer over it is OOM-killed,
   * which the runner reports); CPU has no limit, so spare cores are used rather than throttled.
   *
   * @param cpu Kubernetes quantity, e.g. "2" or "500m"
   * @param memory Kubernetes quantity, e.g. "4Gi"
   * @param gpu {@code nvidia.com/gpu} count; 0 = none
   */
  public record Resources(String cpu, String memory, Integer gpu) {

    static final Resources DEFAULT = new Resources("1", "4Gi", 0);

    /** These resources with every field {@code other} sets. */
    Resources overriddenBy(Resources other) {
      if (other == null) {
        return this;
      }
      return new Resources(other.cpu() == null ? cpu : other.cpu(), other.memory() == null ? memory : other.memory(),
          other.gpu() == null ? gpu : other.gpu());
    }
  }
}
