package dev.divergence.inference.models;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.inference.InferenceTestBase;
import dev.divergence.modelserver.ModelServer;
import dev.divergence.modelserver.client.ClientOptions;
import dev.divergence.modelserver.client.TritonClient;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;

/** At start-up the built-in tiny models become READY in the catalog, with their Triton entries loaded in the embedded server. */
class BuiltInModelsServingIT extends InferenceTestBase {

  @Autowired ModelCatalog catalog;
  @Autowired ModelServer server;
  @Autowired TritonClient client;

  @Test
  void tinyLmIsReadyWithBothEntriesLoaded() throws Exception {
    ServableModel lm = CatalogWaits.ready(catalog, "tiny-lm");
    assertThat(lm.kind()).isEqualTo(ModelKind.LANGUAGE_MODEL);
    assertThat(lm.version()).isEqualTo("1");
    assertThat(lm.vocabSize()).isEqualTo(259);
    assertThat(catalog.tokenizer("tiny-lm").vocabSize()).isEqualTo(259);
    // over a separate connection to the server's bound gRPC port, as any Triton client would see it
    try (TritonClient outside = TritonClient.connect("localhost:" + server.port(), ClientOptions.defaults())) {
      assertThat(outside.modelReady(TritonNames.stateless("tiny-lm"), "1")).isTrue();
      assertThat(outside.modelReady(TritonNames.decoding("tiny-lm"), "1")).isTrue();
      assertThat(outside.modelConfig(TritonNames.decoding("tiny-lm"), "1").getSequenceBatching().hasOldest()).isTrue();
      assertThat(outside.modelConfig(TritonNames.stateless("tiny-lm"), "1").hasDynamicBatching()).isTrue();
    }
    assertThat(client.serverReady()).isTrue();
  }

  @Test
  void classifierHasOneEntry() throws Exception {
    ServableModel cancer = CatalogWaits.ready(catalog, "breast-cancer-mlp-student");
    assertThat(cancer.kind()).isEqualTo(ModelKind.CLASSIFIER);
    assertThat(cancer.vocabSize()).isEqualTo(2);
    assertThat(client.modelReady("breast-cancer-mlp-student", "1")).isTrue();
    assertThat(client.modelReady(TritonNames.decoding("breast-cancer-mlp-student"), "1")).isFalse();
  }
}
