package dev.divergence.math;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The randomised-test helper: reproducible cases, and a failure that says how to reproduce it. */
class SeededCasesTest {

    record Case(int size, double[] values) {
    }

    private static Case draw(java.util.Random random) {
        int size = SeededCases.between(random, 1, 4);
        double[] values = new double[size];
        for (int i = 0; i < size; i++) {
            values[i] = SeededCases.between(random, -1.0, 1.0);
        }
        return new Case(size, values);
    }

    @Test
    void theSameBaseSeedDrawsTheSameCases() {
        List<String> first = new ArrayList<>();
        List<String> second = new ArrayList<>();
        SeededCases.check("collect", 50, 42L, SeededCasesTest::draw, c -> first.add(SeededCases.describe(c)));
        SeededCases.check("collect", 50, 42L, SeededCasesTest::draw, c -> second.add(SeededCases.describe(c)));
        assertThat(first).hasSize(50).isEqualTo(second);
        assertThat(new java.util.HashSet<>(first)).as("distinct cases").hasSizeGreaterThan(40);
    }

    @Test
    void aFailureNamesThePropertyTheCaseSeedAndTheValues() {
        List<Long> seeds = new ArrayList<>();
        // record which case fails first, then check that its seed alone reproduces it as case 0
        assertThatThrownBy(() -> SeededCases.check("values stay below 0.9", 500, 7L, SeededCasesTest::draw, c -> {
            for (double v : c.values()) {
                assertThat(v).isLessThan(0.9);
            }
        })).isInstanceOf(AssertionError.class)
                .hasMessageContaining("property 'values stay below 0.9' fails at case ")
                .hasMessageContaining("rerun with -Ddivergence.test.seed=")
                .hasMessageMatching("(?s).*: Case\\[size=\\d, values=\\[.*\\]\\].*")
                .satisfies(e -> {
                    var matcher = java.util.regex.Pattern.compile("seed (-?\\d+)").matcher(e.getMessage());
                    assertThat(matcher.find()).isTrue();
                    seeds.add(Long.parseLong(matcher.group(1)));
                });
        assertThatThrownBy(() -> SeededCases.check("again", 1, seeds.get(0), SeededCasesTest::draw, c -> {
            for (double v : c.values()) {
                assertThat(v).isLessThan(0.9);
            }
        })).hasMessageContaining("fails at case 0 of 1, seed " + seeds.get(0));
    }

    @Test
    void endPointsOfARangeAreDrawn() {
        java.util.Random random = new java.util.Random(3);
        boolean sawMin = false;
        boolean sawMax = false;
        for (int i = 0; i < 1000; i++) {
            double v = SeededCases.between(random, 0.05, 20.0);
            assertThat(v).isBetween(0.05, 20.0);
            sawMin |= v == 0.05;
            sawMax |= v == 20.0;
        }
        assertThat(sawMin).isTrue();
        assertThat(sawMax).isTrue();
    }
}
