package dev.divergence.training.trainer.loss;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.training.job.DistillationSpec;
import dev.divergence.training.job.DivergenceChoice;
import dev.divergence.training.trainer.Djl;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * SinKD against float64 values of the paper's formula computed with numpy
 * (reference/sinkd.json, made by src/test/python/sinkd_reference.py), independently of this code.
 */
class SinkhornLossTest {

  private static NDManager m;

  record Case(String name, int rows, int vocab, double temperature, double epsilon, int iterations, double scale, int block,
      boolean[] mask, float[] teacher, float[] student, double loss, double[] gradient) {

    @Override
    public String toString() {
      return name;
    }
  }

  @BeforeAll
  static void setUp() {
    m = Djl.manager();
  }

  @AfterAll
  static void tearDown() {
    m.close();
  }

  static Stream<Case> cases() throws IOException {
    JsonNode root;
    try (InputStream in = SinkhornLossTest.class.getResourceAsStream("/reference/sinkd.json")) {
      root = JsonMapper.builder().build().readTree(in);
    }
    List<Case> out = new ArrayList<>();
    for (JsonNode c : root.get("cases")) {
      int rows = c.get("rows").asInt();
      boolean[] mask = new boolean[rows];
      for (int r = 0; r < rows; r++) {
        mask[r] = c.get("mask").get(r).asBoolean();
      }
      out.add(new Case(c.get("name").asString(), rows, c.get("vocab").asInt(), c.get("temperature").asDouble(),
          c.get("epsilon").asDouble(), c.get("iterations").asInt(), c.get("scale").asDouble(), c.get("block").asInt(), mask,
          floats(c.get("teacher")), floats(c.get("student")), c.get("loss").asDouble(), doubles(c.get("gradient"))));
    }
    return out.stream();
  }

  private static float[] floats(JsonNode array) {
    float[] out = new float[array.size()];
    for (int i = 0; i < out.length; i++) {
      // the script rounded its logits to float32 before using them: this cast is exact
      out[i] = (float) array.get(i).asDouble();
    }
    return out;
  }

  private static double[] doubles(JsonNode array) {
    double[] out = new double[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = array.get(i).asDouble();
    }
    return out;
  }

  private static Function<NDArray, NDArray> of(DistillationLoss loss, Case c) {
    return s -> loss.compute(s.getManager().create(c.teacher(), new Shape(c.rows(), c.vocab())), s, c.mask(), null);
  }

  @ParameterizedTest
  @MethodSource("cases")
  void lossAndGradientAreThoseOfTheReferenceFormula(Case c) {
    SinkhornLoss loss = new SinkhornLoss(c.temperature(), c.epsilon(), c.iterations(), c.scale(), c.block());
    double value = Djl.value(m, of(loss, c), c.student(), c.rows(), c.vocab());
    // computed in float64 like the reference, handed back as one float32: 2^-24 relative
    assertThat(value).isCloseTo(c.loss(), within(6e-8 * Math.abs(c.loss())));
    float[] gradient = Djl.gradient(m, of(loss, c), c.student(), c.rows(), c.vocab());
    for (int i = 0; i < gradient.length; i++) {
      // one float32 rounding (2^-24 relative) plus the reference's central-difference error
      // (about 1e-16 |loss| / h = 3e-10 at h = 1e-6, truncation below 1e-12)
      assertThat((double) gradient[i]).as("%s d/dz[%d]", c.name(), i)
          .isCloseTo(c.gradient()[i], within(6e-8 * Math.abs(c.gradient()[i]) + 1e-9));
    }
  }

  @Test
  void anExplicitTemperatureOfOneIsKept() throws IOException {
    Case c = cases().filter(x -> x.name().equals("temperature_one")).findFirst().orElseThrow();
    DistillationSpec spec = new DistillationSpec("t", DivergenceChoice.of("sinkhorn"), 1.0, 0.0, 0.0, false, 0, null);
    DistillationLoss loss = DistillationLosses.create(spec.withDefaults(), false);
    assertThat(((SinkhornLoss) loss).temperature()).isEqualTo(1.0);
    // the reference case has scale 0.5; the platform's scale is 1 and the loss is linear in it
    double value = Djl.value(m, of(loss, c), c.student(), c.rows(), c.vocab());
    assertThat(value).isCloseTo(c.loss() / 0.5, within(6e-8 * Math.abs(c.loss() / 0.5)));
  }

  @Test
  void anUnsetTemperatureIsSinKdsOwn() {
    DistillationSpec unset = new DistillationSpec("t", DivergenceChoice.of("sinkhorn"), null, null, null, null, null, null);
    assertThat(unset.withDefaults().temperature()).isEqualTo(SinkhornLoss.DEFAULT_TEMPERATURE);
    assertThat(((SinkhornLoss) DistillationLosses.create(unset.withDefaults(), false)).temperature()).isEqualTo(2.0);
    assertThat(((SinkhornLoss) DistillationLosses.create(unset, false)).temperature()).isEqualTo(2.0);
    // every other divergence keeps temperature 1 by default, and an explicit 3 is 3
    DistillationSpec kl = new DistillationSpec("t", DivergenceChoice.of("kl"), null, null, null, null, null, null);
    assertThat(kl.withDefaults().temperature()).isEqualTo(1.0);
    DistillationSpec three = new DistillationSpec("t", DivergenceChoice.of("sinkhorn"), 3.0, null, null, null, null, null);
    assertThat(((SinkhornLoss) DistillationLosses.create(three.withDefaults(), false)).temperature()).isEqualTo(3.0);
  }
}
