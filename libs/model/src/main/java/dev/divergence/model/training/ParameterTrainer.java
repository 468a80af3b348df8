package dev.divergence.model.training;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import dev.divergence.model.InvalidModelException;
import dev.divergence.model.Parameters;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The optimisation step shared by every trainer: run a loss on a micro-batch, back-propagate,
 * and after {@code accumulationSteps} micro-batches clip, update and zero the gradients.
 * Losses are divided by the accumulation count, so k micro-batches of size b give the same
 * update as one batch of size k*b with a mean loss.
 *
 * <p>Memory discipline: each micro-batch runs in an {@link NDScope}, so every temporary array
 * (activations, gradient handles) is released when it ends; the update closes its gradient
 * handles itself. Only parameters, their gradients and the optimiser state persist, so native
 * memory stays flat over long runs. Do not call {@link #microBatch} from inside your own
 * {@link NDScope}: the optimiser creates its state lazily on the first update, and an enclosing
 * scope would close it.
 */
public final class ParameterTrainer {

    /**
     * DJL's PyTorch gradient collector is process-wide (a second one open at the same time throws),
     * so micro-batches of trainers running on different threads take turns here.
     */
    private static final java.util.concurrent.locks.ReentrantLock GRADIENT_RECORDING = new java.util.concurrent.locks.ReentrantLock();

    private final Parameters params;
    private final OptimizerSpec spec;
    /** AdamW runs on this module's own update; SGD on DJL's. */
    private final AdamW adamW;
    private final Optimizer optimizer;
    private final int accumulationSteps;
    private final double maxGradNorm;
    private int step;
    private int microStep;
    private double accumulatedLoss;

    /** What one completed optimiser step reports. */
    public record StepResult(int step, double loss, double gradNorm, double learningRate) {
    }

    /**
     * @param maxGradNorm global-norm clip (<= 0 or infinite disables clipping)
     */
    public ParameterTrainer(Parameters params, OptimizerSpec spec, int accumulationSteps, double maxGradNorm) {
        if (accumulationSteps < 1) {
            throw new InvalidModelException("gradient_accumulation_steps", "must be >= 1, got " + accumulationSteps);
        }
        this.params = params;
        this.spec = spec;
        this.accumulationSteps = accumulationSteps;
        this.maxGradNorm = maxGradNorm;
        this.adamW = spec.type() == OptimizerSpec.Type.ADAMW
                ? new AdamW(params, spec.beta1(), spec.beta2(), spec.epsilon(), spec.weightDecay(), p -> true)
                : null;
        this.optimizer = adamW == null ? spec.build(() -> step) : null;
        params.requireGradients();
    }

    /** Optimiser steps completed so far. */
    public int step() {
        return step;
    }

    /**
     * Runs one micro-batch: {@code loss} builds a scalar loss from the parameters (inside gradient
     * recording). Returns the completed step when this micro-batch finished an accumulation
     * cycle, otherwise null.
     */
    public StepResult microBatch(Supplier<NDArray> loss) {
        GRADIENT_RECORDING.lock();
        try {
            return recordMicroBatch(loss);
        } finally {
            GRADIENT_RECORDING.unlock();
        }
    }

    private StepResult recordMicroBatch(Supplier<NDArray> loss) {
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            try (GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
                NDArray value = loss.get();
                if (value.getShape().size() != 1) {
                    throw new InvalidModelException("loss", "must be a scalar, got shape " + value.getShape());
                }
                float v = value.getFloat();
                if (!Float.isFinite(v)) {
                    throw new IllegalStateException("loss is " + v + " at step " + step);
                }
                accumulatedLoss += v / accumulationSteps;
                collector.backward(accumulationSteps == 1 ? value : value.div(accumulationSteps));
            }
        }
        microStep++;
        // outside the scope: the optimiser creates its state (Adam moments, momentum) lazily on
        // the first update, and that state must outlive this micro-batch
        return microStep < accumulationSteps ? null : finishStep();
    }

    private StepResult finishStep() {
        double norm = GradientClipping.globalNorm(params);
        double scale = maxGradNorm > 0 && Double.isFinite(maxGradNorm) ? GradientClipping.clipFactor(norm, maxGradNorm) : 1;
        double rate = spec.schedule().rateAt(step);
        if (adamW != null) {
            adamW.update(rate, scale); // clipping folded into the update's first pass
        } else {
            GradientClipping.scaleGradients(params, scale);
            for (Map.Entry<String, NDArray> e : params.asMap().entrySet()) {
                NDArray p = e.getValue();
                if (!p.hasGradient()) {
                    continue;
                }
                try (NDArray grad = p.getGradient()) {
                    optimizer.update(e.getKey(), p, grad);
                    AdamW.zero(p, grad); // the next micro-batch accumulates into fresh zeros
                }
            }
        }
        StepResult result = new StepResult(step, accumulatedLoss, norm, rate);
        step++;
        microStep = 0;
        accumulatedLoss = 0;
        return result;
    }
}
