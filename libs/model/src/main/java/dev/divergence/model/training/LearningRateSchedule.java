package dev.divergence.model.training;

import dev.divergence.model.InvalidModelException;

/**
 * Learning rate as a function of the optimiser step (0-based): linear warm-up from 0 over
 * {@code warmupSteps}, then constant, linear decay to {@code minRate}, or half-cosine decay to
 * {@code minRate} at {@code totalSteps} (the Hugging Face schedules with a floor).
 */
public record LearningRateSchedule(Kind kind, double peakRate, int warmupSteps, int totalSteps, double minRate) {

    public enum Kind { CONSTANT, LINEAR, COSINE }

    public LearningRateSchedule {
        if (!(peakRate > 0) || !Double.isFinite(peakRate)) {
            throw new InvalidModelException("learning_rate", "must be a positive number, got " + peakRate);
        }
        if (warmupSteps < 0) {
            throw new InvalidModelException("warmup_steps", "must be >= 0, got " + warmupSteps);
        }
        if (kind != Kind.CONSTANT && totalSteps <= warmupSteps) {
            throw new InvalidModelException("total_steps", "must exceed warmup_steps (" + warmupSteps + "), got " + totalSteps);
        }
        if (minRate < 0 || minRate > peakRate) {
            throw new InvalidModelException("min_learning_rate", "must be in [0, learning_rate], got " + minRate);
        }
    }

    public static LearningRateSchedule constant(double rate, int warmupSteps) {
        return new LearningRateSchedule(Kind.CONSTANT, rate, warmupSteps, 0, 0);
    }

    public static LearningRateSchedule linear(double peak, int warmupSteps, int totalSteps) {
        return new LearningRateSchedule(Kind.LINEAR, peak, warmupSteps, totalSteps, 0);
    }

    public static LearningRateSchedule cosine(double peak, int warmupSteps, int totalSteps, double minRate) {
        return new LearningRateSchedule(Kind.COSINE, peak, warmupSteps, totalSteps, minRate);
    }

    public double rateAt(int step) {
        if (step < warmupSteps) {
            return peakRate * (step + 1) / (warmupSteps + 1);
        }
        if (kind == Kind.CONSTANT) {
            return peakRate;
        }
        double progress = Math.min(1.0, (double) (step - warmupSteps) / (totalSteps - warmupSteps));
        double factor = kind == Kind.LINEAR ? 1 - progress : 0.5 * (1 + Math.cos(Math.PI * progress));
        return minRate + (peakRate - minRate) * factor;
    }
}
