package dev.divergence.evaluation;

import dev.divergence.evaluation.run.RunsProperties;
import java.time.Clock;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;

/** Evaluation: divergences between distributions and models, calibration, pass@k, diversity; evaluation runs. */
@SpringBootApplication
@EnableConfigurationProperties(RunsProperties.class)
public class EvaluationApplication {

  public static void main(String[] args) {
    SpringApplication.run(EvaluationApplication.class, args);
  }

  @Bean
  Clock clock() {
    return Clock.systemUTC();
  }
}
