package dev.divergence.evaluation.automatic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.divergence.evaluation.run.RunSpec;
import dev.divergence.evaluation.run.RunSpecValidator;
import org.junit.jupiter.api.Test;

class DefaultSuitesTest {

  @Test
  void theLineageIsTheServedNameWithoutTheRegistryVersion() {
    assertThat(DefaultSuites.lineage("", "breast-cancer-mlp-teacher:1", "breast-cancer-mlp-student:1"))
        .isEqualTo("breast-cancer-mlp-teacher");
    assertThat(DefaultSuites.lineage("ref-model:12", "teacher", null)).isEqualTo("ref-model");
    assertThat(DefaultSuites.lineage(null, null, "tiny-lm")).isEqualTo("tiny-lm");
    assertThat(DefaultSuites.lineage(null, "", " ")).isNull();
  }

  @Test
  void theDefaultSpecsAreValid() {
    RunSpec lm = RunSpecValidator.validate(DefaultSuites.languageModel("distilled", "tiny-lm"));
    assertThat(lm.suites()).containsExactly("model_divergence", "rewards", "diversity");
    assertThat(RunSpecValidator.validate(DefaultSuites.languageModel("base-only", null)).suites())
        .containsExactly("rewards", "diversity");
    RunSpec classifier = RunSpecValidator.validate(DefaultSuites.classifier("student", "teacher", "breast-cancer"));
    assertThat(classifier.prompts().split()).isEqualTo("test");
    assertThat(DefaultSuites.isClassifier("mlp")).isTrue();
    assertThat(DefaultSuites.isClassifier("llama")).isFalse();
  }
}
