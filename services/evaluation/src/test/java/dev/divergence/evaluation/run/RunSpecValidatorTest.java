package dev.divergence.evaluation.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.divergence.evaluation.run.RunSpec.PromptItem;
import dev.divergence.evaluation.run.RunSpec.PromptSource;
import dev.divergence.evaluation.run.RunSpec.Sampling;
import dev.divergence.platform.errors.InvalidArgumentException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunSpecValidatorTest {

  private static RunSpec spec(List<String> suites, PromptSource prompts, Sampling sampling, List<Integer> passAtK) {
    return new RunSpec("tiny-lm", "tiny-lm-student", suites, prompts, sampling, null, passAtK, null, null, null);
  }

  private static PromptSource builtIn(String name) {
    return new PromptSource(name, null, null, null, null, null);
  }

  private static String fieldOf(RunSpec spec) {
    try {
      RunSpecValidator.validate(spec);
    } catch (InvalidArgumentException e) {
      return e.violations().get(0).field();
    }
    throw new AssertionError("accepted " + spec);
  }

  @Test
  void defaultsAreFilledInAndRecorded() {
    RunSpec valid = RunSpecValidator.validate(spec(List.of("rewards", "model_divergence"), builtIn("arithmetic"), null, null));
    assertThat(valid.sampling()).isEqualTo(new Sampling(8, 1.0, 0, 1.0, 16, 0L));
    assertThat(valid.passAtK()).containsExactly(1, 2, 4, 8);
    assertThat(valid.divergences()).containsExactly("kl", "reverse_kl", "js", "tv");
    assertThat(valid.prompts().limit()).isEqualTo(64);
    assertThat(valid.confidenceLevel()).isEqualTo(0.95);
    assertThat(valid.strategies()).extracting(RunSpec.Strategy::name).containsExactly("greedy", "cad", "adacad");
  }

  @Test
  void eachBadFieldIsNamedWithItsIndex() {
    assertThat(fieldOf(spec(List.of("rewards", "bogus"), builtIn("arithmetic"), null, null))).isEqualTo("spec.suites[1]");
    assertThat(fieldOf(spec(List.of("rewards"), builtIn("arithmetic"), new Sampling(4, null, null, null, null, null),
        List.of(1, 5)))).isEqualTo("spec.passAtK[1]");
    assertThat(fieldOf(spec(List.of("rewards"), builtIn("nope"), null, null))).isEqualTo("spec.prompts.builtIn");
    assertThat(fieldOf(spec(List.of("rewards"), new PromptSource(null, null, null, List.of(), null, null), null, null)))
        .isEqualTo("spec.prompts.items");
    List<PromptItem> items = new ArrayList<>(List.of(new PromptItem("1+1=", "2", null, null), new PromptItem("2+2=", null, null, null)));
    assertThat(fieldOf(spec(List.of("rewards"), new PromptSource(null, null, null, items, null, null), null, null)))
        .isEqualTo("spec.prompts.items[1].answer");
    assertThat(fieldOf(spec(List.of("decoding"), builtIn("arithmetic"), null, null))).isEqualTo("spec.prompts.builtIn");
    assertThat(fieldOf(spec(List.of("rewards"), builtIn("arithmetic"), new Sampling(0, null, null, null, null, null), null)))
        .isEqualTo("spec.sampling.samples");
    assertThat(fieldOf(spec(List.of("rewards"), builtIn("arithmetic"), new Sampling(null, Double.NaN, null, null, null, null),
        null))).isEqualTo("spec.sampling.temperature");
    assertThat(fieldOf(new RunSpec("m", null, List.of("model_divergence"), builtIn("arithmetic"), null, null, null, null,
        null, null))).isEqualTo("spec.referenceModel");
    assertThat(fieldOf(new RunSpec("m", "r", List.of("model_divergence"), builtIn("arithmetic"), null,
        List.of("kl", "no_such"), null, null, null, null))).isEqualTo("spec.divergences[1]");
    assertThat(fieldOf(new RunSpec("m", "r", List.of("model_divergence"), builtIn("arithmetic"), null,
        List.of("renyi"), null, null, null, null))).isEqualTo("spec.divergences[0]");
    assertThat(fieldOf(new RunSpec(" ", null, List.of("rewards"), builtIn("arithmetic"), null, null, null, null, null, null)))
        .isEqualTo("spec.model");
    assertThat(fieldOf(new RunSpec("m", null, List.of("classifier", "rewards"), builtIn("arithmetic"), null, null, null, null,
        null, null))).isEqualTo("spec.suites");
    assertThat(fieldOf(new RunSpec("m", null, List.of("classifier"), builtIn("arithmetic"), null, null, null, null,
        null, null))).isEqualTo("spec.prompts.dataset");
    assertThat(fieldOf(new RunSpec("m", null, List.of("rewards"), new PromptSource("arithmetic", "ds", null, null, null, null),
        null, null, null, null, null, null))).isEqualTo("spec.prompts");
  }

  @Test
  void aMissingSpecIsNamed() {
    assertThatThrownBy(() -> RunSpecValidator.validate(null)).isInstanceOf(InvalidArgumentException.class)
        .hasMessageContaining("spec");
  }
}
