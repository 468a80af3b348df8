package dev.divergence.model.training;

import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.divergence.model.InvalidModelException;
import java.util.function.IntSupplier;

/**
 * AdamW or SGD (the optimisers the PyTorch engine implements natively) with a schedule. The
 * learning rate is read from the trainer's own step counter rather than DJL's per-parameter
 * update counts, so gradient accumulation and resumes see the schedule they expect.
 */
public record OptimizerSpec(Type type, LearningRateSchedule schedule, double beta1, double beta2, double epsilon,
        double momentum, double weightDecay) {

    public enum Type { ADAMW, SGD }

    public OptimizerSpec {
        if (weightDecay < 0) {
            throw new InvalidModelException("weight_decay", "must be >= 0, got " + weightDecay);
        }
        if (type == Type.ADAMW && !(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) {
            throw new InvalidModelException("betas", "must be in [0, 1), got " + beta1 + ", " + beta2);
        }
        if (momentum < 0 || momentum >= 1) {
            throw new InvalidModelException("momentum", "must be in [0, 1), got " + momentum);
        }
    }

    public static OptimizerSpec adamW(LearningRateSchedule schedule, double weightDecay) {
        return new OptimizerSpec(Type.ADAMW, schedule, 0.9, 0.999, 1e-8, 0, weightDecay);
    }

    public static OptimizerSpec sgd(LearningRateSchedule schedule, double momentum, double weightDecay) {
        return new OptimizerSpec(Type.SGD, schedule, 0, 0, 0, momentum, weightDecay);
    }

    Optimizer build(IntSupplier currentStep) {
        Tracker rate = ignored -> (float) schedule.rateAt(currentStep.getAsInt());
        return switch (type) {
            case ADAMW -> Optimizer.adamW().optLearningRateTracker(rate).optBeta1((float) beta1).optBeta2((float) beta2)
                    .optEpsilon((float) epsilon).optWeightDecays((float) weightDecay).build();
            case SGD -> Optimizer.sgd().setLearningRateTracker(rate).optMomentum((float) momentum)
                    .optWeightDecays((float) weightDecay).build();
        };
    }
}
