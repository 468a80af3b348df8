package dev.divergence.model.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Offset.offset;

import org.junit.jupiter.api.Test;

/** Sampling semantics on the host, no engine needed. */
class SamplerTest {

    private static final float[] SCORES = logs(0.5, 0.3, 0.15, 0.05);

    private static float[] logs(double... p) {
        float[] out = new float[p.length];
        for (int i = 0; i < p.length; i++) {
            out[i] = (float) Math.log(p[i]);
        }
        return out;
    }

    private static double[] frequencies(GenerationConfig config, int n) {
        Sampler sampler = new Sampler(config);
        double[] counts = new double[SCORES.length];
        for (int i = 0; i < n; i++) {
            counts[(int) sampler.choose(SCORES).token()]++;
        }
        for (int i = 0; i < counts.length; i++) {
            counts[i] /= n;
        }
        return counts;
    }

    @Test
    void temperatureOneSamplesTheSoftmax() {
        double[] f = frequencies(GenerationConfig.sampling(1, 1.0, 0, 1.0, 1), 40_000);
        assertThat(f[0]).isCloseTo(0.5, offset(0.015));
        assertThat(f[1]).isCloseTo(0.3, offset(0.015));
        assertThat(f[3]).isCloseTo(0.05, offset(0.01));
    }

    @Test
    void topPKeepsTheSmallestPrefixReachingP() {
        // 0.5 < 0.8 <= 0.5 + 0.3: tokens 0 and 1 remain, renormalised to 0.625 / 0.375
        double[] f = frequencies(GenerationConfig.sampling(1, 1.0, 0, 0.8, 2), 40_000);
        assertThat(f[0]).isCloseTo(0.625, offset(0.015));
        assertThat(f[2] + f[3]).isZero();
        Sampler.Choice c = new Sampler(GenerationConfig.sampling(1, 1.0, 0, 0.8, 3)).choose(SCORES);
        assertThat(c.logProb()).isCloseTo((float) Math.log(c.token() == 0 ? 0.625 : 0.375), offset(1e-5f));
    }

    @Test
    void topKAndTemperatureReshapeTheDistribution() {
        double[] k2 = frequencies(GenerationConfig.sampling(1, 1.0, 2, 1.0, 4), 20_000);
        assertThat(k2[2] + k2[3]).isZero();
        // temperature 0.5 squares the probabilities before renormalising: 0.25 : 0.09 : ...
        double[] cold = frequencies(GenerationConfig.sampling(1, 0.5, 0, 1.0, 5), 40_000);
        double z = 0.25 + 0.09 + 0.0225 + 0.0025;
        assertThat(cold[0]).isCloseTo(0.25 / z, offset(0.015));
    }
}
