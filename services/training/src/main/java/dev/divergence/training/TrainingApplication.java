package dev.divergence.training;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** Training jobs: alignment and distillation with a divergence of the user's choice. */
@SpringBootApplication
public class TrainingApplication {

  public static void main(String[] args) {
    SpringApplication.run(TrainingApplication.class, args);
  }
}
