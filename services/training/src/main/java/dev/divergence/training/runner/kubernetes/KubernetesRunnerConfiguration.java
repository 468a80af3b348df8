package dev.divergence.training.runner.kubernetes;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;

/**
 * The Kubernetes API client and settings of the Kubernetes runner; the runner itself is created in
 * {@code RunnerConfiguration}, next to the local one.
 */
@Configuration(proxyBeanMethods = false)
@ConditionalOnProperty(name = "divergence.training.runner", havingValue = "kubernetes")
@Conditional(WorkerMode.Inactive.class)
@EnableConfigurationProperties(KubernetesRunnerProperties.class)
public class KubernetesRunnerConfiguration {

  /**
   * In a pod: the service account's token and the cluster's address; elsewhere ~/.kube/config or
   * {@code KUBECONFIG}. Nothing is contacted until the runner starts.
   */
  @Bean(destroyMethod = "close")
  KubernetesClient kubernetesClient() {
    return new KubernetesClientBuilder().build();
  }
}
