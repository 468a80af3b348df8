package dev.divergence.training;

import dev.divergence.training.runner.kubernetes.WorkerMode;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** Training jobs: alignment and distillation with a divergence of the user's choice. */
@SpringBootApplication
public class TrainingApplication {

  public static void main(String[] args) {
    if (WorkerMode.requested(args)) {
      // one job, then exit with its outcome (the Kubernetes runner's Jobs start the image this way)
      System.exit(WorkerMode.run(TrainingApplication.class, args));
    }
    SpringApplication.run(TrainingApplication.class, args);
  }
}
