package dev.divergence.inference;

import dev.divergence.platform.test.EmbeddedInfrastructure;
import dev.divergence.platform.test.EmbeddedInfrastructureExtension;
import org.springframework.boot.test.context.SpringBootTest;

/**
 * One service context shared by the integration tests: real PostgreSQL and Kafka, the embedded
 * model server on free ports, the small built-in tiny-lm and breast-cancer student made once under
 * target/ (libtorch unpacks there too).
 */
@EmbeddedInfrastructure
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
    "divergence.grpc.port=0",
    "divergence.inference.embedded-server.grpc-port=0",
    "divergence.inference.embedded-server.http-port=0",
    "divergence.inference.embedded-server.metrics-port=0",
    "divergence.inference.data-dir=target/it-data",
    "divergence.inference.djl-cache-dir=target/djl-cache",
    "divergence.inference.built-in-budget=small",
    "divergence.inference.built-in-models=tiny-lm,breast-cancer-mlp-student"})
public abstract class InferenceTestBase {

  static {
    // before any test instance exists: a PER_CLASS test class gets its context injected before
    // the extension's beforeAll would start the infrastructure
    EmbeddedInfrastructureExtension.start();
  }
}
