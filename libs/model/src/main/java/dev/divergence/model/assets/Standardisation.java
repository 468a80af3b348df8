package dev.divergence.model.assets;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import dev.divergence.model.Parameters;

/** Per-feature (x - mean) / std, fitted on a training split and foldable into a linear layer. */
record Standardisation(float[] mean, float[] std) {

    static Standardisation fit(LabeledData data) {
        int d = data.dim();
        double[] sum = new double[d];
        double[] sq = new double[d];
        for (float[] row : data.features()) {
            for (int j = 0; j < d; j++) {
                sum[j] += row[j];
                sq[j] += (double) row[j] * row[j];
            }
        }
        float[] mean = new float[d];
        float[] std = new float[d];
        int n = data.size();
        for (int j = 0; j < d; j++) {
            mean[j] = (float) (sum[j] / n);
            std[j] = (float) Math.max(Math.sqrt(Math.max(sq[j] / n - mean[j] * (double) mean[j], 0)), 1e-6);
        }
        return new Standardisation(mean, std);
    }

    LabeledData apply(LabeledData data) {
        float[][] out = new float[data.size()][data.dim()];
        for (int i = 0; i < data.size(); i++) {
            for (int j = 0; j < data.dim(); j++) {
                out[i][j] = (data.features()[i][j] - mean[j]) / std[j];
            }
        }
        return new LabeledData(out, data.labels(), data.classNames());
    }

    /** The inverse of {@link #foldInto}: W = W' std, b = b' + W' mean, so the layer takes standardised features again. */
    void unfoldFrom(Parameters params, String layer) {
        NDArray w = params.get(layer + ".weight").stopGradient();
        NDArray b = params.get(layer + ".bias").stopGradient();
        NDArray stdArr = params.manager().create(std).reshape(1, std.length);
        NDArray meanArr = params.manager().create(mean).reshape(mean.length, 1);
        NDArray shift = w.matMul(meanArr).reshape(new Shape(b.getShape().get(0)));
        params.put(layer + ".bias", b.add(shift));
        params.put(layer + ".weight", w.mul(stdArr));
        stdArr.close();
        meanArr.close();
        shift.close();
    }

    /** W' = W / std (per input column), b' = b - W' mean: the layer then takes raw features. */
    void foldInto(Parameters params, String layer) {
        NDArray w = params.get(layer + ".weight").stopGradient();
        NDArray b = params.get(layer + ".bias").stopGradient();
        NDArray stdArr = params.manager().create(std).reshape(1, std.length);
        NDArray meanArr = params.manager().create(mean).reshape(mean.length, 1);
        NDArray folded = w.div(stdArr);
        NDArray shift = folded.matMul(meanArr).reshape(new Shape(b.getShape().get(0)));
        params.put(layer + ".bias", b.sub(shift));
        params.put(layer + ".weight", folded);
        stdArr.close();
        meanArr.close();
        shift.close();
    }
}
