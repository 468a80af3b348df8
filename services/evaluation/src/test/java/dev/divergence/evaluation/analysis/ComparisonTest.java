package dev.divergence.evaluation.analysis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.divergence.evaluation.analysis.Comparison.MetricComparison;
import dev.divergence.evaluation.analysis.Comparison.MetricRef;
import dev.divergence.evaluation.run.Estimate;
import dev.divergence.evaluation.run.EvaluationRun;
import dev.divergence.evaluation.run.RunProgress;
import dev.divergence.evaluation.run.RunSpec;
import dev.divergence.evaluation.run.RunState;
import dev.divergence.evaluation.run.SuiteResult;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** The side-by-side comparison of two stored runs (pure part of {@link ComparisonService}). */
class ComparisonTest {

  private static final RunSpec.PromptSource ARITHMETIC = new RunSpec.PromptSource("arithmetic", null, null, null, 64, 0L);
  private static final RunSpec.Sampling SAMPLING = new RunSpec.Sampling(8, 1.0, 0, 1.0, 16, 0L);

  static RunSpec spec(String model, RunSpec.PromptSource prompts, RunSpec.Sampling sampling, double level) {
    return new RunSpec(model, "tiny-lm", List.of("rewards", "diversity"), prompts, sampling, List.of("kl"), List.of(1, 2),
        null, level, 15);
  }

  static EvaluationRun run(RunSpec spec, List<SuiteResult> results) {
    Instant now = Instant.parse("2026-12-06T12:00:00Z");
    return new EvaluationRun(UUID.randomUUID(), "default", spec.model(), null, spec, RunState.SUCCEEDED,
        EvaluationRun.Trigger.USER, null, null, RunProgress.NONE, null, null, results, 1, now, now, now, now);
  }

  static SuiteResult suite(String name, Object... metricsAndEstimates) {
    Map<String, Estimate> metrics = new LinkedHashMap<>();
    for (int i = 0; i < metricsAndEstimates.length; i += 2) {
      metrics.put((String) metricsAndEstimates[i], (Estimate) metricsAndEstimates[i + 1]);
    }
    return new SuiteResult(name, metrics, Map.of());
  }

  @Test
  void metricsInBothAreComparedAndTheOthersListedApart() {
    EvaluationRun a = run(spec("m-a", ARITHMETIC, SAMPLING, 0.95), List.of(
        suite("rewards", "reward", new Estimate(0.5, 0.4, 0.6, 64), "pass@1", new Estimate(0.5, 0.4, 0.6, 64),
            "pass@2", new Estimate(0.6, 0.5, 0.7, 64)),
        suite("classifier", "test.accuracy", new Estimate(0.9, 0.85, 0.95, 100))));
    EvaluationRun b = run(spec("m-b", ARITHMETIC, SAMPLING, 0.95), List.of(
        suite("diversity", "vendi", new Estimate(3.0, 2.5, 3.5, 64)),
        suite("rewards", "pass@1", new Estimate(0.7, 0.6, 0.8, 64), "reward", new Estimate(0.7, 0.6, 0.8, 64),
            "pass@4", new Estimate(0.9, 0.85, 0.95, 64))));
    Comparison comparison = ComparisonService.compare(a, b, 0.95, Optional.empty(), Optional.empty());
    assertThat(comparison.metrics()).extracting(MetricComparison::metric).containsExactly("reward", "pass@1");
    assertThat(comparison.onlyInA()).containsExactly(new MetricRef("rewards", "pass@2"), new MetricRef("classifier", "test.accuracy"));
    assertThat(comparison.onlyInB()).containsExactly(new MetricRef("diversity", "vendi"), new MetricRef("rewards", "pass@4"));
    MetricComparison reward = comparison.metrics().get(0);
    assertThat(reward.a().mean()).isEqualTo(0.5);
    assertThat(reward.b().mean()).isEqualTo(0.7);
    assertThat(reward.difference().difference()).isCloseTo(0.2, within(1e-15));
    assertThat(comparison.comparable()).isTrue();
    assertThat(comparison.warnings()).isEmpty();
    assertThat(comparison.a().spec().prompts()).isEqualTo(ARITHMETIC);
  }

  @Test
  void eachRunsIntervalIsReadAtItsOwnLevel() {
    // the same standard error 0.05 written at 0.90 by a and at 0.99 by b: both must be recovered as 0.05
    double seA = 0.05;
    double tA = WelchDifference.upperQuantile(63, 0.90);
    double tB = WelchDifference.upperQuantile(63, 0.99);
    EvaluationRun a = run(spec("m-a", ARITHMETIC, SAMPLING, 0.90),
        List.of(suite("rewards", "reward", new Estimate(0.5, 0.5 - tA * seA, 0.5 + tA * seA, 64))));
    EvaluationRun b = run(spec("m-b", ARITHMETIC, SAMPLING, 0.99),
        List.of(suite("rewards", "reward", new Estimate(0.6, 0.6 - tB * seA, 0.6 + tB * seA, 64))));
    WelchDifference d = ComparisonService.compare(a, b, 0.95, Optional.empty(), Optional.empty()).metrics().get(0).difference();
    assertThat(d.standardError()).isCloseTo(Math.sqrt(2) * seA, within(1e-15));
    // equal n and equal standard errors: Welch's ν is 2(n - 1)
    assertThat(d.degreesOfFreedom()).isCloseTo(126, within(1e-9));
  }

  @Test
  void differentPromptsOrSamplingOrReferenceAreWarnedAbout() {
    EvaluationRun a = run(spec("m-a", ARITHMETIC, SAMPLING, 0.95), List.of());
    RunSpec.PromptSource otherSeed = new RunSpec.PromptSource("arithmetic", null, null, null, 64, 1L);
    RunSpec.Sampling hotter = new RunSpec.Sampling(8, 1.5, 0, 1.0, 16, 0L);
    Comparison prompts = ComparisonService.compare(a, run(spec("m-b", otherSeed, SAMPLING, 0.95), List.of()), 0.95,
        Optional.empty(), Optional.empty());
    assertThat(prompts.comparable()).isFalse();
    assertThat(prompts.warnings()).singleElement().asString().contains("spec.prompts");
    Comparison sampling = ComparisonService.compare(a, run(spec("m-b", ARITHMETIC, hotter, 0.95), List.of()), 0.95,
        Optional.empty(), Optional.empty());
    assertThat(sampling.warnings()).singleElement().asString().contains("spec.sampling");
    RunSpec otherReference = new RunSpec("m-b", "other-ref", List.of("rewards"), ARITHMETIC, SAMPLING, List.of("kl"),
        List.of(1), null, 0.95, 15);
    assertThat(ComparisonService.compare(a, run(otherReference, List.of()), 0.95, Optional.empty(), Optional.empty())
        .warnings()).singleElement().asString().contains("spec.referenceModel");
  }

  @Test
  void aMetricWithoutValueIsListedWithoutDifference() {
    EvaluationRun a = run(spec("m-a", ARITHMETIC, SAMPLING, 0.95),
        List.of(suite("diversity", "vendi", new Estimate(null, null, null, 0))));
    EvaluationRun b = run(spec("m-b", ARITHMETIC, SAMPLING, 0.95),
        List.of(suite("diversity", "vendi", new Estimate(2.0, 1.5, 2.5, 10))));
    MetricComparison vendi = ComparisonService.compare(a, b, 0.95, Optional.empty(), Optional.empty()).metrics().get(0);
    assertThat(vendi.difference()).isNull();
    assertThat(vendi.note()).contains("a has no value");
  }
}
