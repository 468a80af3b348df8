package dev.divergence.model.assets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDManager;
import dev.divergence.model.InvalidModelException;
import dev.divergence.model.TestSupport;
import dev.divergence.model.classifier.Classifier;
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
}
