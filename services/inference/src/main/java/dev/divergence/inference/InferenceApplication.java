package dev.divergence.inference;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** Inference: Triton's gRPC protocol, an embedded Triton-compatible server, divergence-aware decoding. */
@SpringBootApplication
public class InferenceApplication {

  public static void main(String[] args) {
    SpringApplication.run(InferenceApplication.class, args);
  }
}
