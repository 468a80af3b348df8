package dev.divergence.model.assets.variants;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.divergence.model.assets.Datasets;
import dev.divergence.model.assets.LabeledData;
import dev.divergence.model.assets.TinyAssets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The variants' invariants on the real bundled data: names, rows, split membership, labels, severity order, determinism. */
class DatasetVariantsTest {

    private static final List<String> CORRUPTION_KINDS = List.of("digits-noise", "digits-blur", "digits-occlusion", "digits-contrast",
            "breast-cancer-noise", "breast-cancer-scale", "breast-cancer-missing");

    @Test
    void namesAreSourceKindSeverityAndSubsets() {
        List<String> expected = new ArrayList<>(List.of("digits-base", "digits-novel"));
        for (String kind : CORRUPTION_KINDS) {
            for (int s = 1; s <= 5; s++) {
                expected.add(kind + "-" + s);
            }
        }
        assertThat(DatasetVariants.names()).containsExactlyElementsOf(expected);
        assertThat(DatasetVariants.knownNames()).startsWith("digits", "breast-cancer");
        assertThat(DatasetVariants.width("digits-blur-3")).isEqualTo(64);
        assertThat(DatasetVariants.width("breast-cancer-missing-5")).isEqualTo(30);
        assertThat(DatasetVariants.isKnown("digits-blur-6")).isFalse();
        assertThatThrownBy(() -> DatasetVariants.load("digits-blur-0")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("digits-blur-0");
        // every variant has its own seed
        assertThat(DatasetVariants.all().stream().filter(v -> !v.isSubset()).map(DatasetVariant::seed).distinct().count())
                .isEqualTo(35);
    }

    @Test
    void sourcesKeepTheSplitTheBuiltInModelsWereTrainedOn() {
        for (String source : DatasetVariants.SOURCES) {
            LabeledData raw = source.equals("digits") ? Datasets.digits() : Datasets.breastCancer();
            LabeledData[] expected = raw.split(TinyAssets.TRAIN_FRACTION, 20251126L);
            SplitDataset data = DatasetVariants.load(source);
            assertThat(data.all().features()).isDeepEqualTo(raw.features());
            assertThat(data.train().features()).isDeepEqualTo(expected[0].features());
            assertThat(data.test().features()).isDeepEqualTo(expected[1].features());
            assertThat(data.test().labels()).isEqualTo(expected[1].labels());
        }
    }

    @Test
    void corruptionsChangeFeaturesOnlyAndKeepRowsLabelsAndSplitMembership() {
        for (String source : DatasetVariants.SOURCES) {
            SplitDataset clean = DatasetVariants.load(source);
            for (DatasetVariant v : DatasetVariants.all()) {
                if (v.isSubset() || !v.source().equals(source)) {
                    continue;
                }
                SplitDataset shifted = DatasetVariants.load(v.name());
                assertThat(shifted.all().size()).as(v.name()).isEqualTo(clean.all().size());
                assertThat(shifted.all().labels()).as(v.name()).isEqualTo(clean.all().labels());
                assertThat(shifted.train().labels()).as(v.name()).isEqualTo(clean.train().labels());
                assertThat(shifted.test().labels()).as(v.name()).isEqualTo(clean.test().labels());
                assertThat(shifted.all().classNames()).isEqualTo(clean.all().classNames());
                // the train part holds, in the same order, the corrupted versions of the clean train rows
                assertThat(sourceRowsOf(shifted, shifted.train())).as(v.name()).isEqualTo(sourceRowsOf(clean, clean.train()));
                assertThat(sourceRowsOf(shifted, shifted.test())).as(v.name()).isEqualTo(sourceRowsOf(clean, clean.test()));
                assertThat(shifted.dim()).isEqualTo(clean.dim());
                int changed = 0;
                for (int r = 0; r < clean.all().size(); r++) {
                    if (!Arrays.equals(shifted.all().features()[r], clean.all().features()[r])) {
                        changed++;
                    }
                }
                assertThat(changed).as(v.name() + " changes most rows").isGreaterThan(clean.all().size() / 2);
                if (source.equals("digits")) {
                    for (float[] row : shifted.all().features()) {
                        for (float p : row) {
                            assertThat(p).as(v.name() + " pixel range").isBetween(0f, 1f);
                        }
                    }
                }
            }
        }
    }

    @Test
    void greaterSeverityMovesTheTestRowsFurtherFromClean() {
        for (String kind : CORRUPTION_KINDS) {
            String source = kind.startsWith("digits") ? "digits" : "breast-cancer";
            SplitDataset clean = DatasetVariants.load(source);
            double previous = 0;
            for (int s = 1; s <= 5; s++) {
                SplitDataset shifted = DatasetVariants.load(kind + "-" + s);
                double distance = meanDistance(clean, shifted, source.equals("breast-cancer"));
                System.out.printf("%s-%d mean distance to clean %.4f%n", kind, s, distance);
                assertThat(distance).as(kind + "-" + s).isGreaterThan(previous);
                previous = distance;
            }
        }
    }

    @Test
    void variantsAreDeterministicAndRowDrawsDependOnlyOnTheRow() {
        for (String name : List.of("digits-noise-2", "digits-occlusion-4", "breast-cancer-scale-3", "breast-cancer-missing-2")) {
            SplitDataset a = DatasetVariants.load(name);
            SplitDataset b = DatasetVariants.load(name);
            assertThat(a.all().features()).as(name).isDeepEqualTo(b.all().features());
            assertThat(a.test().features()).as(name).isDeepEqualTo(b.test().features());
        }
        // a row's noise is its own: recomputing one row alone from the variant's seed and the row index gives the same pixels
        DatasetVariant noise = DatasetVariants.find("digits-noise-4").orElseThrow();
        SplitDataset noisy = DatasetVariants.load(noise.name());
        LabeledData clean = Datasets.digits();
        int row = 1234;
        SplittableRandom random = DatasetVariants.rowRandom(noise.seed(), row);
        double[] z = new double[64];
        for (int j = 0; j < 64; j++) {
            z[j] = random.nextGaussian();
        }
        assertThat(noisy.all().features()[row]).isEqualTo(DigitCorruptions.noise(clean.features()[row], 0.4, z));
    }

    @Test
    void scaleDriftIsOneFactorPerFeatureAndMissingFeaturesAreTheTrainingMean() {
        SplitDataset clean = DatasetVariants.load("breast-cancer");
        SplitDataset drifted = DatasetVariants.load("breast-cancer-scale-5");
        for (int j = 0; j < 30; j++) {
            double factor = Double.NaN;
            for (int r = 0; r < clean.all().size(); r++) {
                float x = clean.all().features()[r][j];
                if (x != 0) {
                    double ratio = drifted.all().features()[r][j] / (double) x;
                    if (Double.isNaN(factor)) {
                        factor = ratio;
                    }
                    // each value rounded to float once: ratios agree to 2 float roundings
                    assertThat(ratio).as("feature %d row %d", j, r).isCloseTo(factor, org.assertj.core.api.Assertions.within(3e-7 * factor));
                }
            }
        }
        TabularShifts.FeatureStatistics train = TabularShifts.FeatureStatistics.of(clean.train().features());
        for (int s = 1; s <= 5; s++) {
            SplitDataset missing = DatasetVariants.load("breast-cancer-missing-" + s);
            int count = DatasetVariants.missingCount(DatasetVariants.CANCER_MISSING_FRACTION[s - 1], 30);
            assertThat(count).isEqualTo(3 * s);
            for (int r = 0; r < clean.all().size(); r++) {
                int imputed = 0;
                for (int j = 0; j < 30; j++) {
                    float value = missing.all().features()[r][j];
                    if (value != clean.all().features()[r][j]) {
                        assertThat(value).as("row %d feature %d", r, j).isEqualTo((float) train.mean()[j]);
                        imputed++;
                    }
                }
                // a value that happens to equal its imputed mean is not seen as changed
                assertThat(imputed).as("row %d", r).isBetween(count - 1, count);
            }
        }
    }

    @Test
    void subsetsHoldTheirClassesWithTheSourceRowsAndSplit() {
        SplitDataset clean = DatasetVariants.load("digits");
        SplitDataset base = DatasetVariants.load("digits-base");
        SplitDataset novel = DatasetVariants.load("digits-novel");
        assertThat(Arrays.stream(base.all().labels()).allMatch(c -> c < 5)).isTrue();
        assertThat(Arrays.stream(base.train().labels()).allMatch(c -> c < 5)).isTrue();
        assertThat(Arrays.stream(novel.all().labels()).allMatch(c -> c >= 5)).isTrue();
        assertThat(Arrays.stream(novel.test().labels()).allMatch(c -> c >= 5)).isTrue();
        assertThat(base.all().size() + novel.all().size()).isEqualTo(clean.all().size());
        assertThat(base.test().size() + novel.test().size()).isEqualTo(clean.test().size());
        assertThat(base.train().features()).isDeepEqualTo(clean.train().onlyClasses(c -> c < 5).features());
        assertThat(base.test().features()).isDeepEqualTo(clean.test().onlyClasses(c -> c < 5).features());
        assertThat(novel.test().features()).isDeepEqualTo(clean.test().onlyClasses(c -> c >= 5).features());
        assertThat(base.all().classNames()).hasSize(10);
    }

    /** For each row of {@code part}, its index in {@code data.all()} (the rows are shared, so found by identity). */
    private static int[] sourceRowsOf(SplitDataset data, LabeledData part) {
        Map<float[], Integer> index = new IdentityHashMap<>();
        for (int r = 0; r < data.all().size(); r++) {
            index.put(data.all().features()[r], r);
        }
        return Arrays.stream(part.features()).mapToInt(row -> {
            Integer r = index.get(row);
            assertThat(r).as("a part's row is a row of all").isNotNull();
            return r;
        }).toArray();
    }

    /** Mean over test rows of the Euclidean distance to the clean row; features in units of their training std for tables. */
    private static double meanDistance(SplitDataset clean, SplitDataset shifted, boolean standardise) {
        TabularShifts.FeatureStatistics train = TabularShifts.FeatureStatistics.of(clean.train().features());
        double total = 0;
        for (int r = 0; r < clean.test().size(); r++) {
            float[] a = clean.test().features()[r];
            float[] b = shifted.test().features()[r];
            double sum = 0;
            for (int j = 0; j < a.length; j++) {
                double d = (b[j] - (double) a[j]) / (standardise ? train.std()[j] : 1);
                sum += d * d;
            }
            total += Math.sqrt(sum);
        }
        return total / clean.test().size();
    }
}
