package dev.divergence.evaluation.run.suite;

import dev.divergence.evaluation.run.Estimate;
import dev.divergence.evaluation.run.RunInputs;
import dev.divergence.evaluation.run.RunInputs.ClassificationData;
import dev.divergence.evaluation.run.RunSpec;
import dev.divergence.evaluation.run.Suite;
import dev.divergence.evaluation.run.SuiteResult;
import dev.divergence.math.calibration.BinEdges;
import dev.divergence.math.calibration.Calibration;
import dev.divergence.math.calibration.CalibrationNorm;
import dev.divergence.math.calibration.ReliabilityBin;
import dev.divergence.math.divergence.Divergence;
import dev.divergence.math.divergence.DivergenceRegistry;
import dev.divergence.proto.inference.v1.ClassProbabilities;
import dev.divergence.proto.inference.v1.ClassifyResponse;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.springframework.stereotype.Component;

/**
 * Classifiers, per split: accuracy, NLL, ECE (top-label, L1, numpy-histogram edges), Brier
 * (multiclass sum) and the reliability diagram; with a reference model also the divergences
 * between the reference's and the model's class distributions per sample (p = reference).
 * Intervals are Student t over samples. NLL clips probabilities to [eps, 1 - eps] with the float64
 * machine epsilon, as scikit-learn's log_loss does, so a zero probability gives a large finite loss.
 */
@Component
public class ClassifierSuite implements MetricSuite {

  static final double EPS = Math.ulp(1.0);

  @Override
  public Suite suite() {
    return Suite.CLASSIFIER;
  }

  @Override
  public long workUnits(RunSpec spec, RunInputs inputs) {
    return (spec.referenceModel() == null ? 1L : 2L) * inputs.classification().size();
  }

  @Override
  public SuiteResult run(SuiteContext context) {
    RunSpec spec = context.spec();
    ClassificationData data = context.inputs().classification();
    double[][] model = classify(context, spec.model(), data);
    double[][] reference = spec.referenceModel() == null ? null : classify(context, spec.referenceModel(), data);
    double level = context.confidenceLevel();
    Map<String, Estimate> metrics = new LinkedHashMap<>();
    Map<String, Object> reliability = new LinkedHashMap<>();
    Set<String> splits = new LinkedHashSet<>(Arrays.asList(data.splits()));
    for (String split : splits) {
      int[] rows = rowsOf(data, split);
      double[][] probabilities = select(model, rows);
      int[] labels = Arrays.stream(rows).map(r -> data.labels()[r]).toArray();
      checkLabels(labels, probabilities[0].length, split);
      Calibration.TopLabel top = Calibration.topLabel(probabilities, labels);
      double[] nll = new double[rows.length];
      double[] brier = new double[rows.length];
      for (int i = 0; i < rows.length; i++) {
        double p = Math.min(Math.max(probabilities[i][labels[i]], EPS), 1 - EPS);
        nll[i] = -Math.log(p);
        brier[i] = Calibration.brier(new double[][] {probabilities[i]}, new int[] {labels[i]});
      }
      metrics.put(split + ".accuracy", Estimate.of(top.accuracies(), level).within(0, 1));
      metrics.put(split + ".nll", Estimate.of(nll, level));
      metrics.put(split + ".brier", Estimate.of(brier, level));
      metrics.put(split + ".ece", Estimate.exact(Calibration.error(top.confidences(), top.accuracies(), spec.bins(),
          CalibrationNorm.L1, BinEdges.NUMPY_HISTOGRAM), rows.length));
      List<Map<String, Object>> bins = new ArrayList<>();
      for (ReliabilityBin bin : Calibration.reliability(top.confidences(), top.accuracies(), spec.bins(), BinEdges.NUMPY_HISTOGRAM)) {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("lower", bin.lower());
        entry.put("upper", bin.upper());
        entry.put("count", bin.count());
        entry.put("meanConfidence", bin.count() == 0 ? null : bin.meanConfidence());
        entry.put("accuracy", bin.count() == 0 ? null : bin.accuracy());
        bins.add(entry);
      }
      reliability.put(split, bins);
      if (reference != null) {
        double[][] referenceRows = select(reference, rows);
        for (String name : spec.divergences()) {
          Divergence divergence = DivergenceRegistry.create(name);
          double[] values = new double[rows.length];
          for (int i = 0; i < rows.length; i++) {
            values[i] = divergence.between(referenceRows[i], probabilities[i]);
          }
          metrics.put(split + ".reference." + name, Estimate.of(values, level));
        }
      }
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("ece", "top-label, L1 norm, " + spec.bins() + " bins with numpy-histogram edges");
    details.put("brier", "multiclass: sum over classes of (p - onehot)^2, mean over samples");
    details.put("nll", "natural log; probabilities clipped to [eps, 1 - eps], eps = 2.2e-16 (scikit-learn log_loss)");
    if (reference != null) {
      details.put("orientation", "p = reference model (" + spec.referenceModel() + "), q = model (" + spec.model() + ")");
    }
    details.put("reliability", reliability);
    details.put("samples", splits.stream().collect(LinkedHashMap::new, (m, s) -> m.put(s, rowsOf(data, s).length), Map::putAll));
    return new SuiteResult(suite().apiName(), metrics, details);
  }

  private static double[][] classify(SuiteContext context, String model, ClassificationData data) {
    List<float[]> features = Arrays.asList(data.features());
    List<ClassProbabilities> results = new ArrayList<>(features.size());
    int chunk = 256;
    for (int start = 0; start < features.size(); start += chunk) {
      List<float[]> part = features.subList(start, Math.min(start + chunk, features.size()));
      ClassifyResponse response = context.inference().classify(model, part);
      results.addAll(response.getResultsList());
      context.advance(part.size());
    }
    double[][] probabilities = new double[results.size()][];
    for (int i = 0; i < probabilities.length; i++) {
      ClassProbabilities row = results.get(i);
      probabilities[i] = new double[row.getProbabilitiesCount()];
      for (int k = 0; k < probabilities[i].length; k++) {
        probabilities[i][k] = row.getProbabilities(k);
      }
    }
    return probabilities;
  }

  private static void checkLabels(int[] labels, int classes, String split) {
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= classes) {
        throw new IllegalArgumentException("the dataset's " + split + " split has label " + labels[i] + " at row " + i
            + " but the model has " + classes + " classes");
      }
    }
  }

  private static int[] rowsOf(ClassificationData data, String split) {
    List<Integer> rows = new ArrayList<>();
    for (int i = 0; i < data.splits().length; i++) {
      if (data.splits()[i].equals(split)) {
        rows.add(i);
      }
    }
    return rows.stream().mapToInt(Integer::intValue).toArray();
  }

  private static double[][] select(double[][] all, int[] rows) {
    double[][] selected = new double[rows.length][];
    for (int i = 0; i < rows.length; i++) {
      selected[i] = all[rows[i]];
    }
    return selected;
  }
}
