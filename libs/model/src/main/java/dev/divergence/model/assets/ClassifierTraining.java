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

    /** AdamW with cosine decay on random mini-batches of 64; returns the last step's loss. */
    public static double train(Classifier model, LabeledData data, int steps, double learningRate, long seed) {
        if (steps == 0) {
            return Double.NaN;
        }
        SplittableRandom random = new SplittableRandom(seed);
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
                NDArray[] batch = data.batch(m, rows);
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
