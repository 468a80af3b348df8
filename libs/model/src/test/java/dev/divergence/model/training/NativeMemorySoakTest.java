package dev.divergence.model.training;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.TestSupport;
import dev.divergence.model.classifier.Classifier;
import dev.divergence.model.classifier.ClassifierSpec;
import dev.divergence.model.generation.GenerationConfig;
import dev.divergence.model.generation.Generator;
import dev.divergence.model.lm.LanguageModelLoss;
import dev.divergence.model.lm.LlamaConfig;
import dev.divergence.model.lm.LlamaModel;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Thousands of training steps (and some generation) with flat native memory: the number of
 * live NDArrays does not grow at all, and resident memory outside the Java heap stays within
 * a small allowance once warmed up.
 */
class NativeMemorySoakTest {

    @Test
    void thousandsOfStepsKeepNativeMemoryFlat() throws IOException {
        try (NDManager root = TestSupport.newManager()) {
            NDManager m = root.newSubManager();
            Classifier mlp = Classifier.initialize(m, ClassifierSpec.mlp(16, List.of(32), 4), 1);
            LlamaModel lm = LlamaModel.initialize(m, LlamaConfig.llama(32, 16, 32, 1, 2, 1, 32), 2);
            NDArray x = m.randomNormal(new Shape(32, 16));
            NDArray y = m.randomInteger(0, 4, new Shape(32, 1), ai.djl.ndarray.types.DataType.INT64);
            NDArray ids = m.randomInteger(0, 32, new Shape(4, 12), ai.djl.ndarray.types.DataType.INT64);
            NDArray mask = m.ones(new Shape(4, 12), ai.djl.ndarray.types.DataType.INT64);
            ParameterTrainer mlpTrainer = new ParameterTrainer(mlp.parameters(),
                    OptimizerSpec.adamW(LearningRateSchedule.cosine(1e-3, 10, 4000, 1e-4), 0.01), 2, 1.0);
            ParameterTrainer lmTrainer = new ParameterTrainer(lm.parameters(),
                    OptimizerSpec.sgd(LearningRateSchedule.constant(1e-2, 0), 0.9, 0), 1, 1.0);
            Runnable round = () -> {
                for (int i = 0; i < 40; i++) {
                    mlpTrainer.microBatch(() -> mlp.logits(x).logSoftmax(-1).gather(y, -1).mean().neg());
                }
                for (int i = 0; i < 2; i++) {
                    lmTrainer.microBatch(() -> LanguageModelLoss.nextTokenCrossEntropy(lm, ids, mask));
                }
                new Generator(lm).generate(m, new long[] {1, 2, 3}, GenerationConfig.sampling(4, 1.0, 8, 0.9, 7));
            };
            for (int r = 0; r < 5; r++) {
                round.run();
            }
            int arraysBefore = root.getManagedArrays().size();
            long nativeBefore = nativeBytes();
            for (int r = 0; r < 60; r++) { // 2400 MLP micro-batches, 120 LM steps, 60 generations
                round.run();
            }
            int arraysAfter = root.getManagedArrays().size();
            long nativeAfter = nativeBytes();
            assertThat(arraysAfter).as("live NDArrays").isEqualTo(arraysBefore);
            assertThat(nativeAfter - nativeBefore).as("native bytes growth").isLessThan(48L << 20);
            assertThat(mlpTrainer.step()).isEqualTo(65 * 40 / 2);
            m.close();
        }
    }

    /** Resident set minus what the JVM itself has committed (heap and non-heap). */
    private static long nativeBytes() throws IOException {
        System.gc();
        long rss = 0;
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmRSS:")) {
                rss = Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
            }
        }
        var memory = ManagementFactory.getMemoryMXBean();
        return rss - memory.getHeapMemoryUsage().getCommitted() - memory.getNonHeapMemoryUsage().getCommitted();
    }
}
