package dev.divergence.training.registry;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class BuiltInModelsProvenanceTest {

  @Test
  void theStudentsProvenanceIsJsonThatSaysHowItWasMade() {
    JsonNode json = JsonMapper.builder().build().readTree(BuiltInModels.studentProvenanceJson());
    assertThat(json.path("name").asString()).isEqualTo(BuiltInModels.TINY_LM_STUDENT);
    assertThat(json.path("made_by").asString()).isEqualTo("dev.divergence.training.registry.BuiltInModels");
    assertThat(json.path("steps").asInt()).isZero();
    assertThat(json.path("seed").isIntegralNumber()).isTrue();
    assertThat(json.path("description").asString()).contains("randomly initialised");
  }
}
