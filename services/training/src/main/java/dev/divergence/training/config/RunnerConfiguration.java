package dev.divergence.training.config;

import dev.divergence.training.job.JobWakeUp;
import dev.divergence.training.registry.DatasetRegistry;
import dev.divergence.training.registry.ModelRegistry;
import dev.divergence.training.run.JobLifecycle;
import dev.divergence.training.run.LocalWorkerPool;
import dev.divergence.training.run.TrainerRegistry;
import java.time.Clock;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Chooses the runner by configuration: {@code divergence.training.runner=local} (default) or {@code kubernetes}. */
@Configuration
@EnableConfigurationProperties(TrainingProperties.class)
public class RunnerConfiguration {

  @Bean
  @ConditionalOnProperty(name = "divergence.training.runner", havingValue = "local", matchIfMissing = true)
  LocalWorkerPool localWorkerPool(JobLifecycle lifecycle, TrainerRegistry trainers, ModelRegistry models,
      DatasetRegistry datasets, TrainingProperties properties, Clock clock) {
    return new LocalWorkerPool(lifecycle, trainers, models, datasets, properties, clock);
  }

  /** Without a local runner a submission has no one to wake in this process. */
  @Bean
  @ConditionalOnMissingBean(JobWakeUp.class)
  JobWakeUp noLocalWorkers() {
    return () -> { };
  }
}
