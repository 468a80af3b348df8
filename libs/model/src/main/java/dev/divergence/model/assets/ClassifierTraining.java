package dev.divergence.model.assets;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.divergence.model.classifier.Classifier;
import dev.divergence.model.training.LearningRateSchedule;
import dev.divergence.model.training.OptimizerSpec;
import dev.divergence.model.training.ParameterTrainer;
import java.util.SplittableRandom;

/** Cross-entropy training and accuracy for the local classifiers. */
public final class ClassifierTraining {

    private ClassifierTraining() {
    }

    /** Rewrites one step's mini-batch features (rows of raw features) before the forward, e.g. to augment them. */
    @FunctionalInterface
    public interface BatchAugmentation {
        float[][] apply(float[][] rows, SplittableRandom random);
    }

    /** AdamW with cosine decay on random mini-batches of 64; returns the last step's loss. */
    public static double train(Classifier model, LabeledData data, int steps, double learningRate, long seed) {
        return train(model, data, steps, learningRate, seed, null);
    }

    /**
     * {@link #train(Classifier, LabeledData, int, double, long)} with each step's batch passed through
     * {@code augmentation} first (null: none); its draws come from a stream of their own, so the
     * batches' rows are those of the plain training.
     */
    public static double train(Classifier model, LabeledData data, int steps, double learningRate, long seed,
            BatchAugmentation augmentation) {
        if (steps == 0) {
            return Double.NaN;
        }
        SplittableRandom random = new SplittableRandom(seed);
        SplittableRandom augmentationRandom = new SplittableRandom(~seed);
        ParameterTrainer trainer = new ParameterTrainer(model.parameters(),
                OptimizerSpec.adamW(LearningRateSchedule.cosine(learningRate, Math.min(10, steps / 5), Math.max(steps, 2), learningRate / 10), 1e-4),
                1, 5.0);
        NDManager manager = model.parameters().manager();
        double loss = Double.NaN;
        for (int s = 0; s < steps; s++) {
            int[] rows = new int[Math.min(64, data.size())];
            for (int i = 0; i < rows.length; i++) {
                rows[i] = random.nextInt(data.size());
            }
            try (NDManager m = manager.newSubManager()) {
                LabeledData picked = data;
                int[] pickedRows = rows;
                if (augmentation != null) {
                    LabeledData plain = data.select(rows);
                    picked = new LabeledData(augmentation.apply(plain.features(), augmentationRandom), plain.labels(), plain.classNames());
                    pickedRows = java.util.stream.IntStream.range(0, rows.length).toArray();
                }
                NDArray[] batch = picked.batch(m, pickedRows);
                loss = trainer.microBatch(() -> model.logits(batch[0]).logSoftmax(-1).gather(batch[1], -1).mean().neg()).loss();
            }
        }
        return loss;
    }

    public static double accuracy(Classifier model, LabeledData data) {
        int[] rows = new int[data.size()];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = i;
        }
        try (NDManager m = model.parameters().manager().newSubManager()) {
            NDArray[] batch = data.batch(m, rows);
            long[] predicted = model.logits(batch[0]).argMax(-1).toLongArray();
            int correct = 0;
            for (int i = 0; i < predicted.length; i++) {
                if (predicted[i] == data.labels()[i]) {
                    correct++;
                }
            }
            return (double) correct / predicted.length;
        }
    }
}
