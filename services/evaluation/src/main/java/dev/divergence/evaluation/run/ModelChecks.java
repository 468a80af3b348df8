package dev.divergence.evaluation.run;

import dev.divergence.evaluation.datasets.DatasetClient;
import dev.divergence.evaluation.datasets.DatasetInfo;
import dev.divergence.evaluation.datasets.DatasetNotFoundException;
import dev.divergence.evaluation.inference.InferenceClient;
import dev.divergence.evaluation.inference.ModelNotFoundException;
import dev.divergence.platform.errors.FieldViolation;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.proto.inference.v1.ModelKind;
import dev.divergence.proto.inference.v1.ServedModel;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Rejects a run whose model or reference model the inference service does not know, whose suites
 * do not fit the model's kind, or whose dataset the training service's registry does not hold (or
 * holds with another kind of records), before it is queued. When inference cannot be asked (it is
 * down), the run is accepted and fails with a reason if the model is still missing when it runs.
 */
@Component
public class ModelChecks {

  private static final Logger log = LoggerFactory.getLogger(ModelChecks.class);

  private final InferenceClient inference;
  private final DatasetClient datasets;

  public ModelChecks(InferenceClient inference, DatasetClient datasets) {
    this.inference = inference;
    this.datasets = datasets;
  }

  public void checkExists(RunSpec spec) {
    List<FieldViolation> violations = new ArrayList<>();
    check("spec.model", spec.model(), spec, violations);
    if (spec.referenceModel() != null) {
      check("spec.referenceModel", spec.referenceModel(), spec, violations);
    }
    if (spec.prompts().dataset() != null) {
      checkDataset(spec, violations);
    }
    if (!violations.isEmpty()) {
      throw new InvalidArgumentException(violations);
    }
  }

  private void checkDataset(RunSpec spec, List<FieldViolation> violations) {
    String name = spec.prompts().dataset();
    try {
      DatasetInfo dataset = datasets.describe(name);
      String wanted = spec.has(Suite.CLASSIFIER) ? DatasetInfo.CLASSIFICATION : DatasetInfo.TEXT;
      if (!dataset.kind().equals(wanted)) {
        violations.add(new FieldViolation("spec.prompts.dataset", "'" + name + "' holds " + dataset.kind()
            + " records; the suites " + spec.suites() + " need a " + wanted + " dataset"));
      }
    } catch (DatasetNotFoundException e) {
      violations.add(new FieldViolation("spec.prompts.dataset", "unknown dataset '" + name + "'"));
    } catch (RuntimeException e) {
      log.warn("could not check dataset {} with the training service, accepting the run: {}", name, e.getMessage());
    }
  }

  private void check(String field, String name, RunSpec spec, List<FieldViolation> violations) {
    try {
      ServedModel model = inference.model(name);
      boolean classifier = model.getKind() == ModelKind.MODEL_KIND_CLASSIFIER;
      boolean wantsClassifier = spec.has(Suite.CLASSIFIER);
      if (classifier != wantsClassifier) {
        violations.add(new FieldViolation(field, "'" + name + "' is a " + (classifier ? "classifier" : "language model")
            + "; the suites " + spec.suites() + " need a " + (wantsClassifier ? "classifier" : "language model")));
      }
    } catch (ModelNotFoundException e) {
      violations.add(new FieldViolation(field, "unknown model '" + name + "' (the inference service does not serve it)"));
    } catch (RuntimeException e) {
      log.warn("could not check model {} with the inference service, accepting the run: {}", name, e.getMessage());
    }
  }
}
