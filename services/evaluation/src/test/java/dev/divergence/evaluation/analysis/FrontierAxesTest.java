package dev.divergence.evaluation.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.divergence.platform.errors.InvalidArgumentException;
import org.junit.jupiter.api.Test;

/** Which metric each frontier axis reads, its defaults, and the 400s for unknown names. */
class FrontierAxesTest {

  @Test
  void defaults() {
    assertThat(FrontierService.rewardAxis(null).metric()).isEqualTo("reward");
    assertThat(FrontierService.divergenceAxis(null, null).metric()).isEqualTo("samples.reverse_kl");
    assertThat(FrontierService.divergenceAxis(null, null).goal()).isEqualTo("minimise");
    assertThat(FrontierService.diversityAxis(null).metric()).isEqualTo("vendi");
    assertThat(FrontierService.diversityAxis(null).goal()).isEqualTo("maximise");
  }

  @Test
  void chosenMetrics() {
    assertThat(FrontierService.rewardAxis("pass@4").metric()).isEqualTo("pass@4");
    assertThat(FrontierService.divergenceAxis("js", "texts").metric()).isEqualTo("texts.js");
    assertThat(FrontierService.divergenceAxis("kl.per_token", "samples").metric()).isEqualTo("samples.kl.per_token");
    assertThat(FrontierService.diversityAxis("self_similarity").goal()).isEqualTo("minimise");
  }

  @Test
  void unknownNamesAreRefusedNamingTheParameterAndListingTheChoices() {
    assertRefused(() -> FrontierService.rewardAxis("accuracy"), "reward", "pass@<k>");
    assertRefused(() -> FrontierService.rewardAxis("pass@0"), "reward", "pass@<k>");
    assertRefused(() -> FrontierService.divergenceAxis("klx", null), "divergence", "reverse_kl");
    assertRefused(() -> FrontierService.divergenceAxis("kl", "prompts"), "divergenceSource", "samples");
    assertRefused(() -> FrontierService.diversityAxis("entropy"), "diversity", "vendi");
  }

  private static void assertRefused(Runnable call, String field, String listed) {
    InvalidArgumentException e = catchThrowableOfType(InvalidArgumentException.class, call::run);
    assertThat(e).as("refused").isNotNull();
    assertThat(e.violations().get(0).field()).isEqualTo(field);
    assertThat(e.violations().get(0).message()).contains(listed);
  }
}
