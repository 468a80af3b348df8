package dev.divergence.model.assets;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.InvalidModelException;
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
 *   <li>{@value #CANCER_TEACHER} / {@value #CANCER_STUDENT}: MLPs on breast cancer (distillation).
 * </ul>
 */
public final class TinyAssets {

    public static final String TINY_LM = "tiny-lm";
    public static final String DIGITS_GENERALIST = "digits-cnn-generalist";
    public static final String DIGITS_EXPERT = "digits-cnn-expert";
    public static final String CANCER_TEACHER = "breast-cancer-mlp-teacher";
    public static final String CANCER_STUDENT = "breast-cancer-mlp-student";
    public static final List<String> ALL = List.of(TINY_LM, DIGITS_GENERALIST, DIGITS_EXPERT, CANCER_TEACHER, CANCER_STUDENT);
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
            default -> throw new InvalidModelException("model", "unknown local asset '" + name + "', expected one of " + ALL);
        };
        if (name.equals(DIGITS_EXPERT)) {
            ensure(manager, DIGITS_GENERALIST);
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
