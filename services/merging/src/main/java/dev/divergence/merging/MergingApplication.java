package dev.divergence.merging;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** Test-time merging (T³ / T³_B) of a generalist and an expert model. */
@SpringBootApplication
public class MergingApplication {

  public static void main(String[] args) {
    SpringApplication.run(MergingApplication.class, args);
  }
}
