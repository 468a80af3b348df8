package dev.divergence.model.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import dev.divergence.model.ComputePrecision;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.InvalidModelException;
import dev.divergence.model.TestSupport;
import dev.divergence.model.io.Checkpoints;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * float16 matrix products with float32 weights, on CPU: logits of the golden Llama config stay
 * within the documented 1% of the largest float32 logit (and really differ, so fp16 ran), and
 * gradients reach the float32 weights pointing the same way as float32's. Device and precision
 * names from configuration are checked.
 */
class ComputePrecisionTest {

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
    void fp16LogitsStayCloseToFloat32() {
        Path dir = TestSupport.resource("golden/llama_gqa_untied");
        try (NDManager m = manager.newSubManager(); LlamaModel model = LlamaModel.load(m, dir)) {
            Map<String, NDArray> golden = Checkpoints.load(m, dir.resolve("golden.safetensors"));
            NDArray ids = golden.get("input_ids");
            NDArray mask = golden.get("attention_mask");
            float[] fp32 = model.forward(ids, mask).toFloatArray();
            NDArray fp16Logits = model.computePrecision(ComputePrecision.FP16).forward(ids, mask);
            assertThat(fp16Logits.getDataType()).isEqualTo(DataType.FLOAT32);
            float[] fp16 = fp16Logits.toFloatArray();
            float largest = 0;
            float worst = 0;
            for (int i = 0; i < fp32.length; i++) {
                largest = Math.max(largest, Math.abs(fp32[i]));
                worst = Math.max(worst, Math.abs(fp16[i] - fp32[i]));
            }
            assertThat(worst).as("fp16 really computed in fp16").isGreaterThan(0f);
            System.out.printf("fp16 logits: largest |fp16 - fp32| %.3g, bound %.3g%n", worst, fp16LogitBound(model.config()) * largest);
            assertThat((double) worst).as("largest |fp16 - fp32| against largest |logit| %s", largest)
                    .isLessThan(fp16LogitBound(model.config()) * largest);
            assertThat(model.parameters().get("model.layers.0.self_attn.q_proj.weight").getDataType()).isEqualTo(DataType.FLOAT32);
        }
    }

    @Test
    void fp16GradientsReachTheFloat32WeightsAndAgreeWithFloat32() {
        try (NDManager m = manager.newSubManager();
                LlamaModel model = LlamaModel.initialize(m, LlamaConfig.llama(97, 32, 64, 2, 4, 2, 64), 6)) {
            model.parameters().requireGradients();
            NDArray ids = m.randomInteger(0, 97, new ai.djl.ndarray.types.Shape(2, 12), DataType.INT64);
            NDArray mask = m.ones(ids.getShape(), DataType.INT64);
            String name = "model.layers.1.mlp.down_proj.weight";
            float[] fp32 = gradient(model, ids, mask, name);
            model.computePrecision(ComputePrecision.FP16);
            NDArray weight = model.parameters().get(name);
            float[] fp16 = gradient(model, ids, mask, name);
            assertThat(weight.getGradient().getDataType()).isEqualTo(DataType.FLOAT32);
            double dot = 0;
            double a = 0;
            double b = 0;
            for (int i = 0; i < fp32.length; i++) {
                dot += (double) fp32[i] * fp16[i];
                a += (double) fp32[i] * fp32[i];
                b += (double) fp16[i] * fp16[i];
            }
            assertThat(a).isGreaterThan(0);
            // the backward pass rounds as many stage outputs again: a relative error of the gradient
            // up to e = 2 * fp16LogitBound in norm, so cos >= sqrt(1 - e^2)
            double e = 2 * fp16LogitBound(model.config());
            System.out.printf("fp16 gradients: cosine %.6f, bound %.6f%n", dot / Math.sqrt(a * b), Math.sqrt(1 - e * e));
            assertThat(dot / Math.sqrt(a * b)).as("cosine of fp16 and fp32 gradients").isGreaterThan(Math.sqrt(1 - e * e));
        }
    }

    /**
     * Relative error of fp16 compute against float32 (libtorch's CPU kernels accumulate fp16 products
     * in float32, so the error is rounding, not accumulation): per layer about 10 stage outputs are
     * rounded to fp16 (norm, q, k, v, scores, softmax, attention output, o, gate/up/activation,
     * down), 3 more outside the layers, and the weights feeding each once; each rounding errs by at
     * most u16 = 2^-11 relative, so logits move by at most 2 * stages * u16 of the largest logit
     * (pre-norm blocks keep relative errors from growing through a layer).
     */
    private static double fp16LogitBound(LlamaConfig config) {
        int stages = 10 * config.numLayers() + 3;
        return 2 * stages * 0x1p-11;
    }

    private static float[] gradient(LlamaModel model, NDArray ids, NDArray mask, String name) {
        try (GradientCollector collector = Engine.getEngine(DjlRuntime.ENGINE).newGradientCollector()) {
            collector.backward(LanguageModelLoss.nextTokenCrossEntropy(model, ids, mask));
        }
        try (NDArray grad = model.parameters().get(name).getGradient()) {
            float[] out = grad.toFloatArray();
            for (NDArray p : model.parameters().asMap().values()) {
                try (NDArray g = p.getGradient()) {
                    g.subi(g);
                }
            }
            return out;
        }
    }

    @Test
    void precisionAndDeviceNamesFromConfiguration() {
        assertThat(ComputePrecision.parse(" Half ")).isEqualTo(ComputePrecision.FP16);
        assertThat(ComputePrecision.parse("fp32")).isEqualTo(ComputePrecision.FP32);
        assertThatThrownBy(() -> ComputePrecision.parse("bf16"))
                .isInstanceOf(InvalidModelException.class).hasMessageContaining("precision");
        assertThatThrownBy(() -> ComputePrecision.parse("int8"))
                .isInstanceOf(InvalidModelException.class).hasMessageContaining("precision");
        assertThat(DjlRuntime.device("CPU")).isEqualTo(Device.cpu());
        assertThatThrownBy(() -> DjlRuntime.device("tpu:0"))
                .isInstanceOf(InvalidModelException.class).hasMessageContaining("device");
        int gpus = DjlRuntime.engine().getGpuCount();
        if (gpus == 0) {
            assertThatThrownBy(() -> DjlRuntime.device("cuda"))
                    .isInstanceOf(InvalidModelException.class).hasMessageContaining("device").hasMessageContaining("0 GPU");
        } else {
            assertThat(DjlRuntime.device("cuda:0")).isEqualTo(Device.gpu(0));
        }
        assertThatThrownBy(() -> DjlRuntime.device("cuda:" + gpus))
                .isInstanceOf(InvalidModelException.class).hasMessageContaining("device");
    }
}
