package dev.divergence.model.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.InvalidModelException;
import dev.divergence.model.TestSupport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every kind of bad model input fails with an {@link InvalidModelException} naming the item. */
class BadModelInputTest {

    private static NDManager manager;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() {
        manager = TestSupport.newManager();
    }

    @AfterAll
    static void stop() {
        manager.close();
    }

    private static final String VALID = """
            {"model_type":"llama","vocab_size":20,"hidden_size":8,"intermediate_size":16,
             "num_hidden_layers":1,"num_attention_heads":2,"num_key_value_heads":1,
             "max_position_embeddings":6,"rms_norm_eps":1e-5,"tie_word_embeddings":false}""";

    @Test
    void configFieldsAreValidatedByName() {
        LlamaConfig ok = LlamaConfig.parse(VALID);
        assertThat(ok.headDim()).isEqualTo(4);
        assertThat(LlamaConfig.parse(ok.toJson())).isEqualTo(ok);
        expectItem(VALID.replace("\"hidden_size\":8,", ""), "hidden_size", "missing");
        expectItem(VALID.replace("\"vocab_size\":20", "\"vocab_size\":\"many\""), "vocab_size", "integer");
        expectItem(VALID.replace("\"llama\"", "\"gpt2\""), "model_type", "unsupported architecture 'gpt2'");
        expectItem(VALID.replace("\"num_key_value_heads\":1", "\"num_key_value_heads\":3"), "num_key_value_heads", "does not divide");
        expectItem(VALID.replace("\"rms_norm_eps\":1e-5", "\"rms_norm_eps\":0"), "rms_norm_eps", "positive");
        expectItem(VALID.replace("}", ",\"rope_scaling\":{\"rope_type\":\"yarn\",\"factor\":4}}"), "rope_scaling", "yarn");
        expectItem(VALID.replace("}", ",\"hidden_act\":\"gelu\"}"), "hidden_act", "gelu");
        expectItem("[1,2]", "config.json", "object");
        expectItem("{oops", "config.json", "JSON");
    }

    private static void expectItem(String json, String item, String text) {
        assertThatThrownBy(() -> LlamaConfig.parse(json))
                .isInstanceOf(InvalidModelException.class)
                .hasMessageContaining(text)
                .satisfies(e -> assertThat(((InvalidModelException) e).item()).isEqualTo(item));
    }

    @Test
    void tensorNameAndShapeMismatchesNameTheTensor() throws IOException {
        LlamaConfig config = LlamaConfig.parse(VALID);
        try (NDManager m = manager.newSubManager()) {
            LlamaModel model = LlamaModel.initialize(m, config, 1);
            model.save(dir);
            assertThat(LlamaModel.load(m, dir).config()).isEqualTo(config);

            Map<String, NDArray> tensors = new LinkedHashMap<>(model.parameters().asMap());
            tensors.put("model.layers.0.mlp.up_proj.weight", m.zeros(new Shape(15, 8)));
            saveWeights(tensors);
            assertThatThrownBy(() -> LlamaModel.load(m, dir)).isInstanceOf(InvalidModelException.class)
                    .hasMessageContaining("model.layers.0.mlp.up_proj.weight").hasMessageContaining("(15, 8)");

            tensors = new LinkedHashMap<>(model.parameters().asMap());
            tensors.remove("model.norm.weight");
            saveWeights(tensors);
            assertThatThrownBy(() -> LlamaModel.load(m, dir)).hasMessageContaining("model.norm.weight").hasMessageContaining("missing");

            tensors = new LinkedHashMap<>(model.parameters().asMap());
            tensors.put("model.layers.0.self_attn.q_proj.bais", m.zeros(new Shape(8)));
            saveWeights(tensors);
            assertThatThrownBy(() -> LlamaModel.load(m, dir)).hasMessageContaining("q_proj.bais").hasMessageContaining("unexpected");

            Files.delete(dir.resolve("config.json"));
            assertThatThrownBy(() -> LlamaModel.load(m, dir)).hasMessageContaining("config.json");
        }
    }

    private void saveWeights(Map<String, NDArray> tensors) {
        dev.divergence.model.io.Checkpoints.save(dir, tensors, Long.MAX_VALUE);
    }

    @Test
    void sequencesLongerThanTheContextAndBadMasksAreRejected() {
        try (NDManager m = manager.newSubManager(); LlamaModel model = LlamaModel.initialize(m, LlamaConfig.parse(VALID), 2)) {
            NDArray tooLong = m.zeros(new Shape(1, 7), ai.djl.ndarray.types.DataType.INT64);
            assertThatThrownBy(() -> model.forward(tooLong, null)).isInstanceOf(InvalidModelException.class)
                    .hasMessageContaining("input_ids").hasMessageContaining("sequence length 7 exceeds the context of 6");
            NDArray ids = m.zeros(new Shape(2, 3), ai.djl.ndarray.types.DataType.INT64);
            assertThatThrownBy(() -> model.forward(ids, m.ones(new Shape(2, 4)))).hasMessageContaining("attention_mask");
            assertThatThrownBy(() -> model.forward(m.zeros(new Shape(3)), null)).hasMessageContaining("input_ids");
        }
    }
}
