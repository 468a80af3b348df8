package dev.divergence.model.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.data.Offset.offset;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.InvalidModelException;
import dev.divergence.model.Parameters;
import dev.divergence.model.TestSupport;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The trainer's AdamW against torch.optim.AdamW's update rule (with clip_grad_norm_ before it),
 * written out in double precision on the host: linear losses give known gradients, clipping is
 * active, weight decay is on.
 */
class AdamWTest {

    private static NDManager manager;

    @BeforeAll
    static void start() {
        manager = TestSupport.newManager();
    }

    @AfterAll
    static void stop() {
        manager.close();
    }

    @Test
    void matchesPyTorchAdamWWithClipping() {
        double lr = 0.05;
        double wd = 0.1;
        double maxNorm = 0.5;
        int steps = 6;
        SplittableRandom random = new SplittableRandom(9);
        double[] weights = random.doubles(12 + 4, -1, 1).toArray();
        double[][] gradients = new double[steps][];
        for (int t = 0; t < steps; t++) {
            gradients[t] = random.doubles(weights.length, -2, 2).toArray();
        }

        double[] expected = weights.clone();
        double[] m = new double[weights.length];
        double[] v = new double[weights.length];
        double largestWeight = java.util.Arrays.stream(weights).map(Math::abs).max().orElse(0);
        double largestStep = 0;
        for (int t = 0; t < steps; t++) {
            double norm = 0;
            for (double g : gradients[t]) {
                norm += g * g;
            }
            double coef = Math.min(1, maxNorm / (Math.sqrt(norm) + 1e-6));
            double c1 = 1 - Math.pow(0.9, t + 1);
            double c2 = 1 - Math.pow(0.999, t + 1);
            for (int i = 0; i < weights.length; i++) {
                double g = gradients[t][i] * coef;
                expected[i] *= 1 - lr * wd;
                m[i] = 0.9 * m[i] + 0.1 * g;
                v[i] = 0.999 * v[i] + 0.001 * g * g;
                double update = lr / c1 * m[i] / (Math.sqrt(v[i]) / Math.sqrt(c2) + 1e-8);
                expected[i] -= update;
                largestStep = Math.max(largestStep, Math.abs(update));
                largestWeight = Math.max(largestWeight, Math.abs(expected[i]));
            }
        }

        try (NDManager mm = manager.newSubManager(); Parameters params = new Parameters(mm)) {
            params.put("w", mm.create(toFloats(weights, 0, 12), new Shape(3, 4)));
            params.put("b", mm.create(toFloats(weights, 12, 4), new Shape(4)));
            ParameterTrainer trainer = new ParameterTrainer(params,
                    OptimizerSpec.adamW(LearningRateSchedule.constant(lr, 0), wd), 1, maxNorm);
            for (int t = 0; t < steps; t++) {
                double[] g = gradients[t];
                ParameterTrainer.StepResult r = trainer.microBatch(() -> {
                    NDArray gw = params.manager().create(toFloats(g, 0, 12), new Shape(3, 4));
                    NDArray gb = params.manager().create(toFloats(g, 12, 4), new Shape(4));
                    return params.get("w").mul(gw).sum().add(params.get("b").mul(gb).sum());
                });
                assertThat(r.gradNorm()).isGreaterThan(maxNorm); // clipping really happens
            }
            // float32 AdamW against this float64 transcription: the start weights are rounded once
            // (u |w|), and each step rounds about 12 operations (decay, the two moment updates, the
            // bias corrections, sqrt, division, subtraction, the clipping factor's global norm over 16
            // values counted as one relative error of 16 u) of size at most |w| + |update|; over the
            // steps: tolerance = u |w| + steps * (12 + 16) * u * (|w| + |update|), u = 2^-24
            double tolerance = 0x1p-24 * largestWeight + steps * (12 + 16) * 0x1p-24 * (largestWeight + largestStep);
            float[] w = params.get("w").toFloatArray();
            float[] b = params.get("b").toFloatArray();
            for (int i = 0; i < 12; i++) {
                assertThat((double) w[i]).as("w[%d]", i).isCloseTo(expected[i], offset(tolerance));
            }
            for (int i = 0; i < 4; i++) {
                assertThat((double) b[i]).as("b[%d]", i).isCloseTo(expected[12 + i], offset(tolerance));
            }
            float[] gradientAfter = params.get("w").getGradient().toFloatArray();
            assertThat(gradientAfter).containsOnly(0f);
        }
    }

    @Test
    void restoredMomentsContinueExactly() {
        try (NDManager mm = manager.newSubManager();
                Parameters a = new Parameters(mm);
                Parameters b = new Parameters(mm)) {
            float[] init = {0.5f, -0.25f, 1f, 2f};
            a.put("p", mm.create(init));
            b.put("p", mm.create(init));
            a.requireGradients();
            b.requireGradients();
            AdamW first = AdamW.torchDefaults(a, 0.01);
            AdamW second = AdamW.torchDefaults(b, 0.01);
            NDArray direction = mm.create(new float[] {1f, -2f, 3f, 0.5f});
            step(a, first, direction);
            step(a, first, direction);
            step(b, second, direction);
            b.get("p").set(a.get("p").toFloatArray());
            second.restore(Map.copyOf(first.firstMoments()), Map.copyOf(first.secondMoments()), first.updates());
            step(a, first, direction);
            step(b, second, direction);
            assertThat(b.get("p").toFloatArray()).containsExactly(a.get("p").toFloatArray());
            assertThatThrownBy(() -> second.restore(Map.of(), Map.of(), 1))
                    .isInstanceOf(InvalidModelException.class).hasMessageContaining("optimizer.p");
        }
    }

    @Test
    void updatesOnAThreadWhereLibtorchRecordsGradients() throws Exception {
        // a fresh thread: libtorch's per-thread grad mode is on there (DJL turns it off only on
        // the thread that loaded the engine), as on the services' worker and loader threads
        try (NDManager mm = manager.newSubManager(); Parameters p = new Parameters(mm)) {
            p.put("p", mm.create(new float[] {0.5f, -0.25f}));
            p.requireGradients();
            AdamW adamW = AdamW.torchDefaults(p, 0.01);
            NDArray direction = mm.create(new float[] {1f, -2f});
            float[] before = p.get("p").toFloatArray();
            java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
            Thread worker = Thread.ofPlatform().start(() -> {
                try {
                    ai.djl.pytorch.jni.JniUtils.setGradMode(true);
                    step(p, adamW, direction);
                    assertThat(ai.djl.pytorch.jni.JniUtils.isGradMode()).as("grad mode restored").isTrue();
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            worker.join();
            assertThat(failure.get()).isNull();
            assertThat(p.get("p").toFloatArray()).isNotEqualTo(before);
        }
    }

    private static void step(Parameters params, AdamW adamW, NDArray direction) {
        try (ai.djl.training.GradientCollector c = ai.djl.engine.Engine.getEngine("PyTorch").newGradientCollector()) {
            c.backward(params.get("p").mul(direction).sum());
        }
        adamW.update(0.1, 1);
    }

    private static float[] toFloats(double[] values, int from, int length) {
        float[] out = new float[length];
        for (int i = 0; i < length; i++) {
            out[i] = (float) values[from + i];
        }
        return out;
    }
}
