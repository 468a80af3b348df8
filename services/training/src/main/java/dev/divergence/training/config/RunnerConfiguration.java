package dev.divergence.training.config;

import dev.divergence.training.job.JobWakeUp;
import dev.divergence.training.registry.DatasetRegistry;
import dev.divergence.training.registry.ModelRegistry;
import dev.divergence.training.run.JobLifecycle;
import dev.divergence.training.run.LocalWorkerPool;
import dev.divergence.training.run.TrainerRegistry;
import dev.divergence.training.runner.kubernetes.KubernetesJobRunner;
import dev.divergence.training.runner.kubernetes.KubernetesRunnerProperties;
import dev.divergence.training.runner.kubernetes.WorkerMode;
import dev.divergence.training.store.JobRepository;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.jdbc.core.JdbcTemplate;

/**
 * Chooses the runner by configuration: {@code divergence.training.runner=local} (default) or
 * {@code kubernetes}. A process in worker mode (it runs one given job, see {@link WorkerMode}) runs neither.
 */
@Configuration
@EnableConfigurationProperties({TrainingProperties.class, dev.divergence.training.job.JobQuotaProperties.class})
public class RunnerConfiguration {

  @Bean
  @ConditionalOnProperty(name = "divergence.training.runner", havingValue = "local", matchIfMissing = true)
  @Conditional(WorkerMode.Inactive.class)
  LocalWorkerPool localWorkerPool(JobLifecycle lifecycle, TrainerRegistry trainers, ModelRegistry models,
      DatasetRegistry datasets, TrainingProperties properties, Clock clock) {
    return new LocalWorkerPool(lifecycle, trainers, models, datasets, properties, clock);
  }

  /** Declared here, before the fallback below, so that it is the JobWakeUp submissions call. */
  @Bean
  @ConditionalOnProperty(name = "divergence.training.runner", havingValue = "kubernetes")
  @Conditional(WorkerMode.Inactive.class)
  KubernetesJobRunner kubernetesJobRunner(KubernetesClient client, KubernetesRunnerProperties kubernetes,
      TrainingProperties properties, JobLifecycle lifecycle, JobRepository jobs, JdbcTemplate jdbc, Environment environment,
      Clock clock) {
    return KubernetesJobRunner.create(client, kubernetes, properties, lifecycle, jobs, jdbc, environment, clock);
  }

  /** Without a local runner a submission has no one to wake in this process. */
  @Bean
  @ConditionalOnMissingBean(JobWakeUp.class)
  JobWakeUp noLocalWorkers() {
    return () -> { };
  }
}
