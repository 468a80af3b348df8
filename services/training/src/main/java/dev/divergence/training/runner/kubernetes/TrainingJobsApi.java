package dev.divergence.training.runner.kubernetes;

import dev.divergence.training.job.Job;
import io.fabric8.kubernetes.api.model.DeletionPropagation;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.net.HttpURLConnection;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The runner's calls to the Kubernetes API: the training Jobs of one namespace, and their pods. */
final class TrainingJobsApi {

  private static final Logger log = LoggerFactory.getLogger(TrainingJobsApi.class);

  private final KubernetesClient client;
  private final String namespace;
  private final TrainingJobManifest manifest;

  TrainingJobsApi(KubernetesClient client, String namespace, TrainingJobManifest manifest) {
    this.client = client;
    this.namespace = namespace;
    this.manifest = manifest;
  }

  String namespace() {
    return namespace;
  }

  /**
   * Creates the Kubernetes Job of the job's current attempt.
   *
   * @return false when it existed already (an earlier round, another runner replica): not an error
   */
  boolean createIfAbsent(Job job) {
    try {
      client.batch().v1().jobs().inNamespace(namespace).resource(manifest.build(job)).create();
      log.info("created Kubernetes Job {} for {}", TrainingAttempt.of(job).kubernetesName(), TrainingAttempt.of(job));
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        return false;
      }
      throw e;
    }
  }

  /** Deletes the attempt's Job and, in the background, its pod. @return false when there was none */
  boolean delete(TrainingAttempt attempt) {
    return !client.batch().v1().jobs().inNamespace(namespace).withName(attempt.kubernetesName())
        .withPropagationPolicy(DeletionPropagation.BACKGROUND).delete().isEmpty();
  }

  /** The attempt's pods, for the reason a Job failed; empty when they cannot be read. */
  List<Pod> pods(TrainingAttempt attempt) {
    try {
      return client.pods().inNamespace(namespace)
          .withLabels(Map.of(TrainingAttempt.JOB_ID, attempt.jobId().toString(),
              TrainingAttempt.ATTEMPT, Integer.toString(attempt.attempt())))
          .list().getItems();
    } catch (KubernetesClientException e) {
      // e.g. no RBAC for pods: the Job's own reason is reported instead
      log.debug("cannot read the pods of {}: {}", attempt, e.getMessage());
      return List.of();
    }
  }

  /** An informer (not yet started) on this runner's training Jobs. */
  SharedIndexInformer<io.fabric8.kubernetes.api.model.batch.v1.Job> informer(long resyncMillis) {
    return client.batch().v1().jobs().inNamespace(namespace).withLabels(TrainingAttempt.RUNNER_SELECTOR)
        .runnableInformer(resyncMillis);
  }

  /** The informer store's key of an attempt's Job. */
  String cacheKey(TrainingAttempt attempt) {
    return namespace + "/" + attempt.kubernetesName();
  }
}
