package dev.divergence.model.assets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dev.divergence.model.InvalidModelException;
import dev.divergence.model.TestSupport;
import dev.divergence.model.assets.variants.DatasetVariants;
import dev.divergence.model.assets.variants.TabularShifts;
import dev.divergence.model.classifier.Classifier;
import dev.divergence.model.classifier.ClassifierSpec;
import dev.divergence.model.generation.GenerationConfig;
import dev.divergence.model.generation.Generator;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.model.tokenizer.ByteTokenizer;
import dev.divergence.model.tokenizer.TextTokenizer;
import dev.divergence.model.tokenizer.Tokenizers;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** Local assets build offline, deterministically, once; small budgets keep this test quick. */
class TinyAssetsTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static NDManager manager;
    private static final TinyAssets.Budget SMALL = new TinyAssets.Budget(25, 120);

    @TempDir
    Path data;

    @BeforeAll
    static void start() {
        manager = TestSupport.newManager();
    }

    @AfterAll
    static void stop() {
        manager.close();
    }

    @Test
    void bundledDataSetsLoad() {
        LabeledData cancer = Datasets.breastCancer();
        assertThat(cancer.size()).isEqualTo(569);
        assertThat(cancer.dim()).isEqualTo(30);
        assertThat(cancer.classNames()).containsExactly("malignant", "benign");
        LabeledData digits = Datasets.digits();
        assertThat(digits.size()).isEqualTo(1797);
        assertThat(digits.dim()).isEqualTo(64);
        LabeledData[] split = digits.split(0.8, 1);
        assertThat(split[0].size() + split[1].size()).isEqualTo(1797);
        assertThat(split[0].labels()).isEqualTo(digits.split(0.8, 1)[0].labels());
    }

    @Test
    void tinyLmIsBuiltDeterministicallyOnceAndIsAUsableHuggingFaceFolder(@TempDir Path other) throws IOException {
        Path dir = new TinyAssets(data, SMALL).ensure(manager, TinyAssets.TINY_LM);
        for (String f : new String[] {"config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "provenance.json"}) {
            assertThat(dir.resolve(f)).exists();
        }
        assertThat(Files.size(dir.resolve("model.safetensors"))).isLessThan(1 << 20);
        FileTime made = Files.getLastModifiedTime(dir.resolve("model.safetensors"));
        assertThat(new TinyAssets(data, SMALL).ensure(manager, TinyAssets.TINY_LM)).isEqualTo(dir);
        assertThat(Files.getLastModifiedTime(dir.resolve("model.safetensors"))).isEqualTo(made);

        Path again = new TinyAssets(other, SMALL).ensure(manager, TinyAssets.TINY_LM);
        assertThat(Files.readAllBytes(again.resolve("model.safetensors"))).isEqualTo(Files.readAllBytes(dir.resolve("model.safetensors")));

        try (NDManager m = manager.newSubManager(); LlamaModel lm = LlamaModel.load(m, dir); TextTokenizer tok = Tokenizers.load(dir)) {
            long[] prompt = new ByteTokenizer().encodeWithBos("12+");
            assertThat(tok.encode("12+")).containsExactly(java.util.Arrays.copyOfRange(prompt, 1, prompt.length));
            long[] out = new Generator(lm).generate(m, prompt, GenerationConfig.greedy(6)).tokens();
            assertThat(out).isNotEmpty();
        }
        JsonNode provenance = JSON.readTree(Files.readString(dir.resolve("provenance.json")));
        assertThat(provenance.get("name").asString()).isEqualTo(TinyAssets.TINY_LM);
        assertThat(provenance.get("steps").asInt()).isEqualTo(25);
        assertThat(provenance.get("seed").asLong()).isEqualTo(TinyAssets.SEED);
        assertThat(provenance.get("final_training_loss").isNumber()).isTrue();
    }

    @Test
    void provenanceIsJsonWhateverTheDescriptionHolds() {
        String description = "MLP [4] \"quoted\", a back\\slash, a tab\t, a newline\n and a control \u0001";

        JsonNode parsed = JSON.readTree(TinyAssets.provenanceJson("tiny-lm", description, 7, Double.NaN));

        assertThat(parsed.get("description").asString()).isEqualTo(description);
        assertThat(parsed.get("name").asString()).isEqualTo("tiny-lm");
        assertThat(parsed.get("version").asString()).isEqualTo("1");
        assertThat(parsed.get("made_by").asString()).isEqualTo(TinyAssets.class.getName());
        assertThat(parsed.get("steps").asInt()).isEqualTo(7);
        assertThat(parsed.get("final_training_loss").isNull()).isTrue();
        assertThat(JSON.readTree(TinyAssets.provenanceJson("tiny-lm", "x", 7, 0.125)).get("final_training_loss").asDouble())
                .isEqualTo(0.125);
    }

    @Test
    void classifierPairsLearnTheirTasks() {
        TinyAssets assets = new TinyAssets(data, SMALL);
        LabeledData digitsTest = Datasets.digits().split(TinyAssets.TRAIN_FRACTION, TinyAssets.SEED)[1];
        LabeledData cancerTest = Datasets.breastCancer().split(TinyAssets.TRAIN_FRACTION, TinyAssets.SEED)[1];
        try (NDManager m = manager.newSubManager();
                Classifier generalist = Classifier.load(m, assets.ensure(manager, TinyAssets.DIGITS_GENERALIST));
                Classifier expert = Classifier.load(m, assets.ensure(manager, TinyAssets.DIGITS_EXPERT));
                Classifier teacher = Classifier.load(m, assets.ensure(manager, TinyAssets.CANCER_TEACHER))) {
            double generalistAll = ClassifierTraining.accuracy(generalist, digitsTest);
            double expertBase = ClassifierTraining.accuracy(expert, digitsTest.onlyClasses(c -> c < 5));
            double expertNovel = ClassifierTraining.accuracy(expert, digitsTest.onlyClasses(c -> c >= 5));
            assertThat(generalistAll).isGreaterThan(0.8);
            assertThat(expertBase).isGreaterThan(0.9);
            assertThat(expertNovel).isLessThan(generalistAll);
            // raw features in: the standardisation is folded into the first layer
            assertThat(ClassifierTraining.accuracy(teacher, cancerTest)).isGreaterThan(0.9);
        }
        assertThatThrownBy(() -> assets.ensure(manager, "gpt-5")).isInstanceOf(InvalidModelException.class).hasMessageContaining("gpt-5");
    }

    @Test
    void breastCancerPairIsOneArchitectureAndTheExpertIsTheGeneralistFineTunedOnCleanRows() {
        TinyAssets assets = new TinyAssets(data, SMALL);
        LabeledData cancerTest = DatasetVariants.load("breast-cancer").test();
        try (NDManager m = manager.newSubManager();
                Classifier generalist = Classifier.load(m, assets.ensure(manager, TinyAssets.CANCER_GENERALIST));
                Classifier expert = Classifier.load(m, assets.ensure(manager, TinyAssets.CANCER_EXPERT))) {
            assertThat(expert.spec()).isEqualTo(generalist.spec());
            assertThat(generalist.spec().inputDim()).isEqualTo(30);
            assertThat(generalist.parameters().get("layers.0.weight").toFloatArray())
                    .isNotEqualTo(expert.parameters().get("layers.0.weight").toFloatArray());
            // raw features in (the standardisation is folded into the first layer), and both learnt the task
            double generalistClean = ClassifierTraining.accuracy(generalist, cancerTest);
            double expertClean = ClassifierTraining.accuracy(expert, cancerTest);
            System.out.printf("clean: generalist %.3f expert %.3f%n", generalistClean, expertClean);
            assertThat(generalistClean).isGreaterThan(0.85);
            assertThat(expertClean).isGreaterThan(0.85);
            for (String shift : List.of("breast-cancer-noise-3", "breast-cancer-scale-3", "breast-cancer-missing-3",
                    "breast-cancer-noise-5", "breast-cancer-scale-5", "breast-cancer-missing-5")) {
                LabeledData shifted = DatasetVariants.load(shift).test();
                System.out.printf("%s: generalist %.3f expert %.3f%n", shift, ClassifierTraining.accuracy(generalist, shifted),
                        ClassifierTraining.accuracy(expert, shifted));
            }
        }
        JsonNode provenance = readJson(data.resolve("models").resolve(TinyAssets.CANCER_EXPERT).resolve("1").resolve("provenance.json"));
        assertThat(provenance.get("description").asString()).contains("fine-tuned", "clean");
    }

    @Test
    void unfoldingTheStandardisationUndoesFoldingIt() {
        LabeledData train = Datasets.breastCancer().split(TinyAssets.TRAIN_FRACTION, TinyAssets.SEED)[0];
        Standardisation scale = Standardisation.fit(train);
        try (NDManager m = manager.newSubManager();
                Classifier model = Classifier.initialize(m, ClassifierSpec.mlp(30, List.of(8), 2), 3)) {
            float[] weight = model.parameters().get("layers.0.weight").toFloatArray();
            float[] bias = model.parameters().get("layers.0.bias").toFloatArray();
            scale.foldInto(model.parameters(), "layers.0");
            scale.unfoldFrom(model.parameters(), "layers.0");
            float[] weightBack = model.parameters().get("layers.0.weight").toFloatArray();
            float[] biasBack = model.parameters().get("layers.0.bias").toFloatArray();
            // w / std * std: two float32 roundings, |error| <= 2 eps |w|
            for (int i = 0; i < weight.length; i++) {
                assertThat(weightBack[i]).isCloseTo(weight[i], org.assertj.core.api.Assertions.within(2.4e-7f * Math.abs(weight[i]) + 1e-30f));
            }
            // b - s + s with s = sum_j w_j mean_j / std_j: 30 terms of |w mean / std| each rounded (eps) and summed,
            // subtracted and added back: |error| <= (30 + 2) eps * sum |w_j mean_j / std_j|
            for (int o = 0; o < bias.length; o++) {
                double terms = 0;
                for (int j = 0; j < 30; j++) {
                    terms += Math.abs(weight[o * 30 + j] * scale.mean()[j] / scale.std()[j]);
                }
                assertThat((double) biasBack[o]).isCloseTo(bias[o], org.assertj.core.api.Assertions.within(32 * 1.19e-7 * terms + 1e-7));
            }
        }
    }

    @Test
    void shiftAugmentationDrawsAShiftPerStepAndKeepsRowsOtherwise() {
        LabeledData train = Datasets.breastCancer().split(TinyAssets.TRAIN_FRACTION, TinyAssets.SEED)[0];
        TabularShifts.FeatureStatistics stats = TabularShifts.FeatureStatistics.of(train.features());
        float[][] rows = java.util.Arrays.copyOf(train.features(), 64);
        long seed = 42;
        System.out.println("seed " + seed);
        java.util.SplittableRandom random = new java.util.SplittableRandom(seed);
        int unchanged = 0;
        int steps = 200;
        for (int step = 0; step < steps; step++) {
            float[][] out = TinyAssets.shiftAugment(rows, stats, random);
            assertThat(out).hasDimensions(64, 30);
            if (java.util.Arrays.deepEquals(out, rows)) {
                unchanged++;
            }
        }
        assertThat(java.util.Arrays.deepEquals(TinyAssets.shiftAugment(rows, stats, new java.util.SplittableRandom(seed)),
                TinyAssets.shiftAugment(rows, stats, new java.util.SplittableRandom(seed)))).isTrue();
        // each of three shifts is on with probability 1/2: about 1/8 of the steps stay clean (binomial 200, 1/8: 25 +- 4.7)
        assertThat(unchanged).as("clean steps of %d", steps).isBetween(8, 45);
    }

    private static JsonNode readJson(Path file) {
        try {
            return JSON.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
