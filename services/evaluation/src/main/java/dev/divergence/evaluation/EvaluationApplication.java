package dev.divergence.evaluation;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** Evaluation: divergences between distributions and models, calibration, pass@k, diversity. */
@SpringBootApplication
public class EvaluationApplication {

  public static void main(String[] args) {
    SpringApplication.run(EvaluationApplication.class, args);
  }
}
