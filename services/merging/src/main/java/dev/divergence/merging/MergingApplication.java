package dev.divergence.merging;

import dev.divergence.merging.config.MergingProperties;
import dev.divergence.merging.experiment.ExperimentsProperties;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/** Test-time merging (T³ / T³_B) of a generalist and an expert model. */
@SpringBootApplication
@EnableConfigurationProperties({MergingProperties.class, ExperimentsProperties.class})
public class MergingApplication {

  public static void main(String[] args) {
    SpringApplication.run(MergingApplication.class, args);
  }
}
