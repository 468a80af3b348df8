package dev.divergence.training.runner.kubernetes;

import dev.divergence.training.config.TrainingProperties;
import dev.divergence.training.registry.DatasetRegistry;
import dev.divergence.training.registry.ModelRegistry;
import dev.divergence.training.run.JobLifecycle;
import dev.divergence.training.run.TrainerRegistry;
import dev.divergence.training.store.JobRepository;
import java.lang.management.ManagementFactory;
import java.util.UUID;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;

/** The one bean worker mode adds: the worker of the job named by {@code divergence.training.worker.job-id}. */
@Configuration(proxyBeanMethods = false)
@Conditional(WorkerMode.Active.class)
public class WorkerModeConfiguration {

  /**
   * @param workerName how the attempt history and heartbeats name this worker: the pod's name
   *     ({@code DIVERGENCE_TRAINING_WORKER_NAME} from the Job's downward API), else the JVM's name
   */
  @Bean
  SingleJobWorker singleJobWorker(@Value("${" + WorkerMode.JOB_ID_PROPERTY + "}") UUID jobId,
      @Value("${divergence.training.worker.name:}") String workerName, JobLifecycle lifecycle, JobRepository jobs,
      TrainerRegistry trainers, ModelRegistry models, DatasetRegistry datasets, TrainingProperties properties) {
    String name = workerName.isBlank() ? ManagementFactory.getRuntimeMXBean().getName() : workerName;
    return new SingleJobWorker(jobId, name, lifecycle, jobs, trainers, models, datasets, properties);
  }
}
