package dev.divergence.model.assets.variants;

import dev.divergence.model.assets.Datasets;
import dev.divergence.model.assets.LabeledData;
import dev.divergence.model.assets.TinyAssets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.function.IntPredicate;
import java.util.stream.IntStream;

/**
 * The shifted and subset variants of the bundled data sets, registered under fixed names so that
 * training, evaluation and merging use the very same data (the T³ protocol's splits, MedMNIST-C style
 * corruptions at five severities for digits, measurement shift for breast cancer).
 *
 * <p>A variant is made from the rows of its source's split: the split of the built-in models
 * ({@link TinyAssets#TRAIN_FRACTION} of the rows for training, seed {@link TinyAssets#DATA_SPLIT_SEED}),
 * so a row is in the same part (train or test) in every variant; corruptions change features only,
 * never labels or rows; subsets keep the rows of their classes. Every random draw comes from the
 * variant's fixed seed and the row's index in the source (row r draws from
 * {@code SplittableRandom(seed * 0x9E3779B97F4A7C15 + r)}), so a variant is the same whoever asks for
 * it and whichever rows they read. Training-set statistics are those of the source's clean training rows.
 *
 * <p>Severities (s = 1..5):
 * <table>
 *   <caption>Variants and their severities</caption>
 *   <tr><th>variant</th><th>what</th><th>s=1</th><th>2</th><th>3</th><th>4</th><th>5</th></tr>
 *   <tr><td>digits-noise-s</td><td>pixel Gaussian noise std, then clipped to [0, 1]</td><td>0.1</td><td>0.2</td><td>0.3</td><td>0.4</td><td>0.5</td></tr>
 *   <tr><td>digits-blur-s</td><td>Gaussian blur sigma (pixels), scipy.ndimage.gaussian_filter, mode constant (cval 0 = background), truncate 4</td>
 *       <td>0.5</td><td>0.75</td><td>1.0</td><td>1.25</td><td>1.5</td></tr>
 *   <tr><td>digits-occlusion-s</td><td>side of a square patch set to background (0), position uniform per image, inside the image</td>
 *       <td>2</td><td>3</td><td>4</td><td>5</td><td>6</td></tr>
 *   <tr><td>digits-contrast-s</td><td>contrast factor c: x' = m + c (x - m), m the image's mean</td><td>0.75</td><td>0.5</td><td>0.4</td><td>0.3</td><td>0.15</td></tr>
 *   <tr><td>breast-cancer-noise-s</td><td>factor f: x_j' = x_j + f std_j z, std_j the training-set std (divisor n)</td>
 *       <td>0.1</td><td>0.25</td><td>0.5</td><td>0.75</td><td>1.0</td></tr>
 *   <tr><td>breast-cancer-scale-s</td><td>spread v: x_j' = x_j exp(v z_j), one z_j per feature drawn once per variant</td>
 *       <td>0.05</td><td>0.1</td><td>0.2</td><td>0.3</td><td>0.5</td></tr>
 *   <tr><td>breast-cancer-missing-s</td><td>fraction of the 30 features missing per row (3, 6, 9, 12, 15 features, uniform without
 *       replacement), imputed with the training-set mean</td><td>0.1</td><td>0.2</td><td>0.3</td><td>0.4</td><td>0.5</td></tr>
 * </table>
 * Subsets: {@code digits-base} (digits 0-4, the classes the digits expert is fine-tuned on) and
 * {@code digits-novel} (digits 5-9).
 */
public final class DatasetVariants {

    public static final String DIGITS = "digits";
    public static final String BREAST_CANCER = "breast-cancer";
    public static final List<String> SOURCES = List.of(DIGITS, BREAST_CANCER);
    public static final String DIGITS_BASE = "digits-base";
    public static final String DIGITS_NOVEL = "digits-novel";
    public static final int MAX_SEVERITY = 5;
    /** Digits 0..BASE_CLASSES-1 are the base classes, the others novel. */
    public static final int BASE_CLASSES = 5;

    public static final double[] DIGITS_NOISE_STD = {0.1, 0.2, 0.3, 0.4, 0.5};
    public static final double[] DIGITS_BLUR_SIGMA = {0.5, 0.75, 1.0, 1.25, 1.5};
    public static final int[] DIGITS_OCCLUSION_SIDE = {2, 3, 4, 5, 6};
    public static final double[] DIGITS_CONTRAST_FACTOR = {0.75, 0.5, 0.4, 0.3, 0.15};
    public static final double[] CANCER_NOISE_FACTOR = {0.1, 0.25, 0.5, 0.75, 1.0};
    public static final double[] CANCER_SCALE_SPREAD = {0.05, 0.1, 0.2, 0.3, 0.5};
    public static final double[] CANCER_MISSING_FRACTION = {0.1, 0.2, 0.3, 0.4, 0.5};

    private static final long SEED_BASE = 0xDA7A_5EEDL;
    private static final long ROW_MIX = 0x9E3779B97F4A7C15L;
    private static final List<String> KINDS = List.of("digits-noise", "digits-blur", "digits-occlusion", "digits-contrast",
            "breast-cancer-noise", "breast-cancer-scale", "breast-cancer-missing");
    private static final List<DatasetVariant> ALL = catalogue();

    private DatasetVariants() {
    }

    /** Every variant, subsets first, then each kind's severities 1..5. */
    public static List<DatasetVariant> all() {
        return ALL;
    }

    public static List<String> names() {
        return ALL.stream().map(DatasetVariant::name).toList();
    }

    public static Optional<DatasetVariant> find(String name) {
        return ALL.stream().filter(v -> v.name().equals(name)).findFirst();
    }

    public static boolean isVariant(String name) {
        return find(name).isPresent();
    }

    /** Whether {@code name} is a bundled source or one of its variants: {@link #load} can make it. */
    public static boolean isKnown(String name) {
        return SOURCES.contains(name) || isVariant(name);
    }

    /** Every name {@link #load} accepts: the sources, then the variants. */
    public static List<String> knownNames() {
        List<String> names = new ArrayList<>(SOURCES);
        names.addAll(names());
        return names;
    }

    /** The bundled data set {@code name} is made from ({@code name} itself for a source). */
    public static String sourceOf(String name) {
        if (SOURCES.contains(name)) {
            return name;
        }
        return find(name).map(DatasetVariant::source).orElseThrow(() -> unknown(name));
    }

    /** The number of features of {@code name}'s rows: 64 for digits, 30 for breast cancer. */
    public static int width(String name) {
        return sourceOf(name).equals(DIGITS) ? DigitCorruptions.PIXELS : 30;
    }

    /** A source or a variant with its train/test split; deterministic, made anew on each call. */
    public static SplitDataset load(String name) {
        String sourceName = sourceOf(name);
        LabeledData source = sourceName.equals(DIGITS) ? Datasets.digits() : Datasets.breastCancer();
        int[][] parts = LabeledData.splitRows(source.size(), TinyAssets.TRAIN_FRACTION, TinyAssets.DATA_SPLIT_SEED);
        if (SOURCES.contains(name)) {
            return split(name, source, parts, c -> true);
        }
        DatasetVariant variant = find(name).orElseThrow();
        if (variant.isSubset()) {
            IntPredicate keep = variant.kind().equals("base") ? c -> c < BASE_CLASSES : c -> c >= BASE_CLASSES;
            return split(name, source, parts, keep);
        }
        TabularShifts.FeatureStatistics train = TabularShifts.FeatureStatistics.of(source.select(parts[0]).features());
        float[][] shifted = new float[source.size()][];
        double[] factors = variant.kind().equals("scale") ? scaleFactors(variant, source.dim()) : null;
        for (int r = 0; r < source.size(); r++) {
            SplittableRandom random = rowRandom(variant.seed(), r);
            shifted[r] = shift(variant, source.features()[r], random, train, factors);
        }
        return split(name, new LabeledData(shifted, source.labels().clone(), source.classNames()), parts, c -> true);
    }

    /** The draws of row {@code row} of a variant with seed {@code seed}. */
    static SplittableRandom rowRandom(long seed, int row) {
        return new SplittableRandom(seed * ROW_MIX + row);
    }

    /** breast-cancer-scale's per-feature factors exp(v z_j), drawn once per variant from its seed. */
    static double[] scaleFactors(DatasetVariant variant, int dim) {
        SplittableRandom random = new SplittableRandom(variant.seed());
        double[] factors = new double[dim];
        for (int j = 0; j < dim; j++) {
            factors[j] = Math.exp(variant.level() * random.nextGaussian());
        }
        return factors;
    }

    private static float[] shift(DatasetVariant v, float[] row, SplittableRandom random, TabularShifts.FeatureStatistics train,
            double[] factors) {
        return switch (v.source() + "-" + v.kind()) {
            case "digits-noise" -> DigitCorruptions.noise(row, v.level(), gaussians(random, row.length));
            case "digits-blur" -> DigitCorruptions.blur(row, v.level());
            case "digits-occlusion" -> {
                int side = (int) v.level();
                int top = random.nextInt(DigitCorruptions.SIDE - side + 1);
                int left = random.nextInt(DigitCorruptions.SIDE - side + 1);
                yield DigitCorruptions.occlude(row, side, top, left);
            }
            case "digits-contrast" -> DigitCorruptions.contrast(row, v.level());
            case "breast-cancer-noise" -> TabularShifts.noise(row, v.level(), train.std(), gaussians(random, row.length));
            case "breast-cancer-scale" -> TabularShifts.scale(row, factors);
            case "breast-cancer-missing" -> TabularShifts.impute(row, missingMask(random, row.length, missingCount(v.level(), row.length)),
                    train.mean());
            default -> throw new IllegalStateException("no corruption for " + v.name());
        };
    }

    /** How many of {@code dim} features a missing fraction removes: round(fraction * dim). */
    public static int missingCount(double fraction, int dim) {
        return (int) Math.round(fraction * dim);
    }

    /** {@code count} distinct features chosen uniformly (a partial Fisher-Yates shuffle). */
    static boolean[] missingMask(SplittableRandom random, int dim, int count) {
        int[] order = IntStream.range(0, dim).toArray();
        boolean[] mask = new boolean[dim];
        for (int i = 0; i < count; i++) {
            int j = i + random.nextInt(dim - i);
            int t = order[i];
            order[i] = order[j];
            order[j] = t;
            mask[order[i]] = true;
        }
        return mask;
    }

    private static double[] gaussians(SplittableRandom random, int n) {
        double[] z = new double[n];
        for (int i = 0; i < n; i++) {
            z[i] = random.nextGaussian();
        }
        return z;
    }

    private static SplitDataset split(String name, LabeledData rows, int[][] parts, IntPredicate keepClass) {
        int[] all = IntStream.range(0, rows.size()).filter(r -> keepClass.test(rows.labels()[r])).toArray();
        int[] train = IntStream.of(parts[0]).filter(r -> keepClass.test(rows.labels()[r])).toArray();
        int[] test = IntStream.of(parts[1]).filter(r -> keepClass.test(rows.labels()[r])).toArray();
        return new SplitDataset(name, rows.select(all), rows.select(train), rows.select(test));
    }

    private static IllegalArgumentException unknown(String name) {
        return new IllegalArgumentException("unknown data set '" + name + "'; known: " + knownNames());
    }

    private static List<DatasetVariant> catalogue() {
        List<DatasetVariant> out = new ArrayList<>();
        out.add(new DatasetVariant(DIGITS_BASE, DIGITS, "base", 0, 0, 0,
                "digits 0-4 only (the classes the digits expert is fine-tuned on), same train/test rows as digits"));
        out.add(new DatasetVariant(DIGITS_NOVEL, DIGITS, "novel", 0, 0, 0,
                "digits 5-9 only (classes the digits expert is not fine-tuned on), same train/test rows as digits"));
        for (String kind : KINDS) {
            boolean digits = kind.startsWith(DIGITS + "-");
            String shortKind = kind.substring((digits ? DIGITS : BREAST_CANCER).length() + 1);
            for (int s = 1; s <= MAX_SEVERITY; s++) {
                double level = level(kind, s);
                String name = kind + "-" + s;
                long seed = SEED_BASE + 1000L * (KINDS.indexOf(kind) + 1) + s;
                out.add(new DatasetVariant(name, digits ? DIGITS : BREAST_CANCER, shortKind, s, level, seed, describe(kind, s, level)));
            }
        }
        return Collections.unmodifiableList(out);
    }

    private static double level(String kind, int s) {
        return switch (kind) {
            case "digits-noise" -> DIGITS_NOISE_STD[s - 1];
            case "digits-blur" -> DIGITS_BLUR_SIGMA[s - 1];
            case "digits-occlusion" -> DIGITS_OCCLUSION_SIDE[s - 1];
            case "digits-contrast" -> DIGITS_CONTRAST_FACTOR[s - 1];
            case "breast-cancer-noise" -> CANCER_NOISE_FACTOR[s - 1];
            case "breast-cancer-scale" -> CANCER_SCALE_SPREAD[s - 1];
            case "breast-cancer-missing" -> CANCER_MISSING_FRACTION[s - 1];
            default -> throw new IllegalStateException(kind);
        };
    }

    private static String describe(String kind, int s, double level) {
        String severity = " (severity " + s + " of " + MAX_SEVERITY + "; same train/test rows as the source)";
        return switch (kind) {
            case "digits-noise" -> "digits with Gaussian pixel noise of std " + level + ", clipped to [0, 1]" + severity;
            case "digits-blur" -> "digits blurred by a Gaussian of sigma " + level + " pixels (zero boundary)" + severity;
            case "digits-occlusion" -> "digits with a " + (int) level + "x" + (int) level + " patch set to background, placed at random" + severity;
            case "digits-contrast" -> "digits with contrast reduced to " + level + " of its range around the image mean" + severity;
            case "breast-cancer-noise" -> "breast cancer with Gaussian feature noise of " + level + " training-set std" + severity;
            case "breast-cancer-scale" -> "breast cancer with per-feature scale drift exp(" + level + " z), one factor per feature" + severity;
            case "breast-cancer-missing" -> "breast cancer with " + Math.round(level * 100) + "% of features per row missing,"
                    + " imputed with the training-set mean" + severity;
            default -> throw new IllegalStateException(kind);
        };
    }
}
