package dev.divergence.model.assets;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.InvalidModelException;
import dev.divergence.model.assets.variants.TabularShifts;
import dev.divergence.model.classifier.Classifier;
import dev.divergence.model.classifier.ClassifierSpec;
import dev.divergence.model.lm.LanguageModelLoss;
import dev.divergence.model.lm.LlamaConfig;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.model.tokenizer.ByteTokenizer;
import dev.divergence.model.tokenizer.Tokenizers;
import dev.divergence.model.training.LearningRateSchedule;
import dev.divergence.model.training.OptimizerSpec;
import dev.divergence.model.training.ParameterTrainer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.stream.Stream;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The tiny models the platform's demos and tests need, made without any network: trained here by
 * this module's own code, deterministically from fixed seeds, on first use, and cached in the data
 * folder as Hugging Face model folders {@code <data>/models/<name>/1/} (config.json,
 * model.safetensors, tokenizer.json for the LM, provenance.json saying how it was made).
 *
 * <ul>
 *   <li>{@value #TINY_LM}: byte-level Llama (2 layers, hidden 64) on {@link SyntheticCorpus};
 *   <li>{@value #DIGITS_GENERALIST} / {@value #DIGITS_EXPERT}: the 8x8 CNN on all digits, and the
 *       same network fine-tuned on digits 0-4 only (a T³ generalist / expert pair);
 *   <li>{@value #CANCER_TEACHER} / {@value #CANCER_STUDENT}: MLPs on breast cancer (distillation);
 *   <li>{@value #CANCER_GENERALIST} / {@value #CANCER_EXPERT}: a T³ generalist / expert pair of one
 *       architecture (MLP 30-32-32-2). The generalist is trained on the training rows with measurement-shift
 *       augmentation drawn anew each step (each of: Gaussian feature noise of up to 1 training-set std,
 *       per-feature scale jitter exp(v z) with v up to 0.5, up to half of the features missing and imputed
 *       with the training mean, each on with probability 1/2): the "broad data" pretraining that makes a
 *       generalist robust to the breast-cancer-noise/scale/missing variants. The expert is that generalist
 *       fine-tuned on the clean training rows only: the precise in-domain model, made the way the digits
 *       expert is made from the digits generalist (fine-tuning at a lower learning rate).
 * </ul>
 */
public final class TinyAssets {

    public static final String TINY_LM = "tiny-lm";
    public static final String DIGITS_GENERALIST = "digits-cnn-generalist";
    public static final String DIGITS_EXPERT = "digits-cnn-expert";
    public static final String CANCER_TEACHER = "breast-cancer-mlp-teacher";
    public static final String CANCER_STUDENT = "breast-cancer-mlp-student";
    public static final String CANCER_GENERALIST = "breast-cancer-mlp-generalist";
    public static final String CANCER_EXPERT = "breast-cancer-mlp-expert";
    public static final List<String> ALL = List.of(TINY_LM, DIGITS_GENERALIST, DIGITS_EXPERT, CANCER_TEACHER, CANCER_STUDENT,
            CANCER_GENERALIST, CANCER_EXPERT);
    /** The hidden layers of the breast-cancer generalist / expert pair (one architecture for both). */
    public static final List<Integer> CANCER_PAIR_HIDDEN = List.of(32, 32);
    /** The largest shift a generalist training step draws: noise factor, log-scale spread, missing fraction. */
    static final double AUGMENT_MAX_NOISE = 1.0;
    static final double AUGMENT_MAX_SPREAD = 0.5;
    static final double AUGMENT_MAX_MISSING = 0.5;
    static final String VERSION = "1";
    static final long SEED = 20251126L;
    /** Deterministic train/test split of the bundled data sets used by every asset. */
    public static final double TRAIN_FRACTION = 0.8;
    /** The seed of that split ({@link LabeledData#split}); the dataset variants keep it. */
    public static final long DATA_SPLIT_SEED = SEED;

    /** How long to train: the standard budget makes usable demo models; tests pass a small one. */
    public record Budget(int lmSteps, int classifierSteps) {

        public static Budget standard() {
            return new Budget(1200, 300);
        }
    }

    public static LlamaConfig tinyLmConfig() {
        return LlamaConfig.llama(ByteTokenizer.VOCAB_SIZE, 64, 160, 2, 4, 2, 128)
                .withSpecialTokens(ByteTokenizer.BOS, List.of(ByteTokenizer.EOS), ByteTokenizer.PAD);
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path dataDir;
    private final Budget budget;

    public TinyAssets(Path dataDir, Budget budget) {
        this.dataDir = dataDir;
        this.budget = budget;
    }

    /** The model folder of {@code name}, trained and written first if it is not cached yet. */
    public Path ensure(NDManager manager, String name) {
        Path dir = dataDir.resolve("models").resolve(name).resolve(VERSION);
        if (Files.isRegularFile(dir.resolve("provenance.json"))) {
            return dir;
        }
        Consumer<Path> build = switch (name) {
            case TINY_LM -> tmp -> buildTinyLm(manager, tmp);
            case DIGITS_GENERALIST -> tmp -> buildDigits(manager, tmp, false);
            case DIGITS_EXPERT -> tmp -> buildDigits(manager, tmp, true);
            case CANCER_TEACHER -> tmp -> buildCancer(manager, tmp, List.of(32, 32), SEED + 3);
            case CANCER_STUDENT -> tmp -> buildCancer(manager, tmp, List.of(4), SEED + 4);
            case CANCER_GENERALIST -> tmp -> buildCancerPair(manager, tmp, false);
            case CANCER_EXPERT -> tmp -> buildCancerPair(manager, tmp, true);
            default -> throw new InvalidModelException("model", "unknown local asset '" + name + "', expected one of " + ALL);
        };
        if (name.equals(DIGITS_EXPERT)) {
            ensure(manager, DIGITS_GENERALIST);
        }
        if (name.equals(CANCER_EXPERT)) {
            ensure(manager, CANCER_GENERALIST);
        }
        return publish(dir, build);
    }

    /**
     * Builds every local asset with the standard budget: {@code TinyAssets <data folder>}
     * (the platform uses ./.data; libtorch unpacks into <data folder>/djl).
     */
    public static void main(String[] args) {
        Path data = Path.of(args.length > 0 ? args[0] : ".data");
        dev.divergence.model.DjlRuntime.configure(data.resolve("djl"));
        try (NDManager manager = NDManager.newBaseManager(ai.djl.Device.cpu(), dev.divergence.model.DjlRuntime.ENGINE)) {
            TinyAssets assets = new TinyAssets(data, Budget.standard());
            for (String name : ALL) {
                long start = System.nanoTime();
                Path dir = assets.ensure(manager, name);
                System.out.printf("%s -> %s (%.1f s)%n", name, dir, (System.nanoTime() - start) / 1e9);
            }
        }
    }

    /** Builds into a temporary sibling and renames it into place, so readers never see half a model. */
    private static Path publish(Path dir, Consumer<Path> build) {
        try {
            Files.createDirectories(dir.getParent());
            Path tmp = Files.createTempDirectory(dir.getParent(), ".building-");
            try {
                build.accept(tmp);
                try {
                    Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                } catch (FileAlreadyExistsException | AtomicMoveNotSupportedException e) {
                    if (!Files.isRegularFile(dir.resolve("provenance.json"))) {
                        throw e;
                    } // another process finished first: its copy is identical
                } catch (IOException e) {
                    if (!Files.isRegularFile(dir.resolve("provenance.json"))) {
                        throw e;
                    }
                }
            } finally {
                deleteTree(tmp);
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create local model " + dir, e);
        }
    }

    private void buildTinyLm(NDManager parent, Path out) {
        LlamaConfig config = tinyLmConfig();
        List<String> corpus = SyntheticCorpus.lines(20_000, SEED);
        ByteTokenizer tokenizer = new ByteTokenizer();
        SplittableRandom random = new SplittableRandom(SEED + 1);
        double lastLoss = Double.NaN;
        try (NDManager m = parent.newSubManager(); LlamaModel model = LlamaModel.initialize(m, config, SEED)) {
            ParameterTrainer trainer = new ParameterTrainer(model.parameters(),
                    OptimizerSpec.adamW(LearningRateSchedule.cosine(3e-3, Math.min(20, budget.lmSteps() / 5),
                            Math.max(budget.lmSteps(), 2), 3e-4), 0.01), 1, 1.0);
            for (int step = 0; step < budget.lmSteps(); step++) {
                try (NDManager batchManager = m.newSubManager()) {
                    NDArray[] batch = lmBatch(batchManager, corpus, tokenizer, random, 16);
                    lastLoss = trainer.microBatch(() -> LanguageModelLoss.nextTokenCrossEntropy(model, batch[0], batch[1])).loss();
                }
            }
            model.save(out);
            Tokenizers.writeByteTokenizer(out);
        }
        writeProvenance(out, TINY_LM, "byte-level Llama trained on the synthetic arithmetic/template corpus",
                budget.lmSteps(), lastLoss);
    }

    static NDArray[] lmBatch(NDManager m, List<String> corpus, ByteTokenizer tokenizer, SplittableRandom random, int size) {
        long[][] rows = new long[size][];
        int seq = 0;
        for (int b = 0; b < size; b++) {
            long[] body = tokenizer.encodeWithBos(corpus.get(random.nextInt(corpus.size())));
            rows[b] = java.util.Arrays.copyOf(body, body.length + 1);
            rows[b][body.length] = ByteTokenizer.EOS;
            seq = Math.max(seq, rows[b].length);
        }
        long[] ids = new long[size * seq];
        long[] mask = new long[size * seq];
        for (int b = 0; b < size; b++) {
            for (int t = 0; t < seq; t++) {
                boolean real = t < rows[b].length;
                ids[b * seq + t] = real ? rows[b][t] : ByteTokenizer.PAD;
                mask[b * seq + t] = real ? 1 : 0;
            }
        }
        return new NDArray[] {m.create(ids, new Shape(size, seq)), m.create(mask, new Shape(size, seq))};
    }

    private void buildDigits(NDManager parent, Path out, boolean expert) {
        LabeledData train = Datasets.digits().split(TRAIN_FRACTION, SEED)[0];
        ClassifierSpec spec = ClassifierSpec.cnn(8, 1, 8, 16, 10).withClassNames(train.classNames());
        try (NDManager m = parent.newSubManager()) {
            Classifier model;
            if (expert) {
                model = Classifier.load(m, dataDir.resolve("models").resolve(DIGITS_GENERALIST).resolve(VERSION));
                train = train.onlyClasses(label -> label < 5);
            } else {
                model = Classifier.initialize(m, spec, SEED + 2);
            }
            double loss = ClassifierTraining.train(model, train, budget.classifierSteps(), expert ? 3e-3 : 1e-2, SEED + (expert ? 6 : 5));
            model.save(out);
            writeProvenance(out, expert ? DIGITS_EXPERT : DIGITS_GENERALIST, expert
                    ? "digits CNN generalist fine-tuned on digits 0-4 only (training split)"
                    : "8x8 CNN trained on all digits (training split)", budget.classifierSteps(), loss);
        }
    }

    private void buildCancer(NDManager parent, Path out, List<Integer> hidden, long seed) {
        LabeledData train = Datasets.breastCancer().split(TRAIN_FRACTION, SEED)[0];
        ClassifierSpec spec = ClassifierSpec.mlp(train.dim(), hidden, 2).withClassNames(train.classNames());
        try (NDManager m = parent.newSubManager(); Classifier model = Classifier.initialize(m, spec, seed)) {
            Standardisation scale = Standardisation.fit(train);
            double loss = ClassifierTraining.train(model, scale.apply(train), budget.classifierSteps(), 1e-2, seed + 10);
            // fold the scaling into the first layer: the saved model takes raw features
            scale.foldInto(model.parameters(), "layers.0");
            model.save(out);
            writeProvenance(out, hidden.size() > 1 ? CANCER_TEACHER : CANCER_STUDENT,
                    "MLP " + hidden + " on breast cancer (training split), input standardisation folded into layers.0",
                    budget.classifierSteps(), loss);
        }
    }

    /**
     * The breast-cancer pair: the generalist from scratch with shift augmentation, or the expert fine-tuned
     * from it on clean rows. Both train on standardised features (the generalist's folded standardisation
     * is unfolded before fine-tuning) and are saved taking raw features.
     */
    private void buildCancerPair(NDManager parent, Path out, boolean expert) {
        LabeledData train = Datasets.breastCancer().split(TRAIN_FRACTION, SEED)[0];
        ClassifierSpec spec = ClassifierSpec.mlp(train.dim(), CANCER_PAIR_HIDDEN, 2).withClassNames(train.classNames());
        Standardisation scale = Standardisation.fit(train);
        try (NDManager m = parent.newSubManager()) {
            Classifier model;
            double loss;
            if (expert) {
                model = Classifier.load(m, dataDir.resolve("models").resolve(CANCER_GENERALIST).resolve(VERSION));
                scale.unfoldFrom(model.parameters(), "layers.0");
                loss = ClassifierTraining.train(model, scale.apply(train), budget.classifierSteps(), 3e-3, SEED + 8);
            } else {
                model = Classifier.initialize(m, spec, SEED + 7);
                TabularShifts.FeatureStatistics stats = TabularShifts.FeatureStatistics.of(train.features());
                loss = ClassifierTraining.train(model, train, budget.classifierSteps(), 1e-2, SEED + 9,
                        (rows, random) -> scale.apply(new LabeledData(shiftAugment(rows, stats, random), new int[rows.length], List.of())).features());
            }
            // fold the scaling into the first layer: the saved model takes raw features
            scale.foldInto(model.parameters(), "layers.0");
            model.save(out);
            writeProvenance(out, expert ? CANCER_EXPERT : CANCER_GENERALIST, expert
                    ? "breast-cancer MLP generalist fine-tuned on the clean training rows only (the in-domain expert)"
                    : "MLP " + CANCER_PAIR_HIDDEN + " on breast cancer (training split) with measurement-shift augmentation drawn"
                        + " per step (feature noise, scale jitter, missing features imputed with the training mean)",
                    budget.classifierSteps(), loss);
        }
    }

    /**
     * One step's shifted copy of a batch of raw rows: scale jitter (one factor exp(v z_j) per feature for
     * the batch), Gaussian noise (f std_j z per value) and missing features (round(p d) per row, imputed
     * with the training mean), each on with probability 1/2, with v, f and p drawn uniformly up to their maxima.
     */
    static float[][] shiftAugment(float[][] rows, TabularShifts.FeatureStatistics stats, java.util.SplittableRandom random) {
        int d = stats.mean().length;
        boolean scaleOn = random.nextBoolean();
        boolean noiseOn = random.nextBoolean();
        boolean missingOn = random.nextBoolean();
        double spread = random.nextDouble() * AUGMENT_MAX_SPREAD;
        double noise = random.nextDouble() * AUGMENT_MAX_NOISE;
        int missing = (int) Math.round(random.nextDouble() * AUGMENT_MAX_MISSING * d);
        double[] factors = new double[d];
        for (int j = 0; j < d; j++) {
            factors[j] = Math.exp(spread * random.nextGaussian());
        }
        float[][] out = new float[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            float[] row = rows[i];
            if (scaleOn) {
                row = TabularShifts.scale(row, factors);
            }
            if (noiseOn) {
                double[] z = new double[d];
                for (int j = 0; j < d; j++) {
                    z[j] = random.nextGaussian();
                }
                row = TabularShifts.noise(row, noise, stats.std(), z);
            }
            if (missingOn) {
                boolean[] mask = new boolean[d];
                int[] order = java.util.stream.IntStream.range(0, d).toArray();
                for (int k = 0; k < missing; k++) {
                    int j = k + random.nextInt(d - k);
                    int t = order[k];
                    order[k] = order[j];
                    order[j] = t;
                    mask[order[k]] = true;
                }
                row = TabularShifts.impute(row, mask, stats.mean());
            }
            out[i] = row;
        }
        return out;
    }

    private static void writeProvenance(Path dir, String name, String what, int steps, double finalLoss) {
        try {
            Files.writeString(dir.resolve("provenance.json"), provenanceJson(name, what, steps, finalLoss));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** provenance.json's text, written by Jackson so that any description is escaped; a non-finite loss is null. */
    static String provenanceJson(String name, String what, int steps, double finalLoss) {
        ObjectNode json = JSON.createObjectNode();
        json.put("name", name);
        json.put("version", VERSION);
        json.put("made_by", TinyAssets.class.getName());
        json.put("description", what);
        json.put("seed", SEED);
        json.put("steps", steps);
        if (Double.isFinite(finalLoss)) {
            json.put("final_training_loss", finalLoss);
        } else {
            json.putNull("final_training_loss");
        }
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json) + "\n";
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
