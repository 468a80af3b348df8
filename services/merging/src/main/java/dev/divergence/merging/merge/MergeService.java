package dev.divergence.merging.merge;

import ai.djl.ndarray.NDManager;
import dev.divergence.merging.config.MergingProperties;
import dev.divergence.merging.domain.MergeMethod;
import dev.divergence.merging.domain.MergeMethods;
import dev.divergence.merging.domain.MergeMetrics;
import dev.divergence.merging.domain.MergePlan;
import dev.divergence.merging.domain.ModelOutputs;
import dev.divergence.merging.domain.WeightAverage;
import dev.divergence.merging.engine.MergedPrediction;
import dev.divergence.merging.engine.ModelPair;
import dev.divergence.merging.events.MergeEventPublisher;
import dev.divergence.merging.models.ModelResolver;
import dev.divergence.merging.store.MergeRecord;
import dev.divergence.merging.store.MergeRepository;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.errors.NotFoundException;
import dev.divergence.platform.tenancy.TenantContext;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.stereotype.Service;
import org.springframework.transaction.PlatformTransactionManager;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Creating merges (validated method, known and architecture-compatible models) and predicting with them,
 * per tenant. Models are built-ins or models of the registry ({@link ModelResolver}); a merge stores the
 * registered models pinned to the version they had at creation ({@code name:version}).
 */
@Service
public class MergeService {

  private final ModelResolver models;
  private final MergeRepository merges;
  private final MergingProperties properties;
  private final Clock clock = Clock.systemUTC();

  private final MergeEventPublisher events;
  private final TransactionTemplate transactions;

  public MergeService(ModelResolver models, MergeRepository merges, MergingProperties properties, MergeEventPublisher events,
      PlatformTransactionManager transactionManager) {
    this.models = models;
    this.merges = merges;
    this.properties = properties;
    this.events = events;
    this.transactions = new TransactionTemplate(transactionManager);
  }

  /** A merge plus its method with every parameter resolved. */
  public record Merge(MergeRecord record, MergeMethod method) {}

  public Merge create(String generalist, String expert, String methodName, Map<String, ?> parameters) {
    // cheap checks first, so that bad input never trains, looks up or loads a model
    ModelResolver.parse("generalist", generalist);
    ModelResolver.parse("expert", expert);
    MergeMethod method = MergeMethods.create(methodName, parameters);
    MergeRecord record;
    try (ModelResolver.Pair pair = models.acquirePair("generalist", generalist, "expert", expert)) {
      ModelPair.requireCompatible(pair.generalist().classifier(), pair.expert().classifier());
      record = new MergeRecord(UUID.randomUUID(), TenantContext.current(), pair.generalist().reference(), pair.expert().reference(),
          method.name(), method.parameters(), Instant.now(clock).truncatedTo(ChronoUnit.MICROS));
    }
    Merge merge = new Merge(record, method);
    MergePlan description = describe(merge);
    // only the row and its event share a transaction: loading (or first building) the models happened before
    transactions.executeWithoutResult(status -> {
      merges.insert(record);
      events.created(merge, description);
    });
    return merge;
  }

  public Merge get(String mergeId) {
    MergeRecord record = merges.find(TenantContext.current(), parseId(mergeId)).orElseThrow(() -> new NotFoundException("merge", mergeId));
    return new Merge(record, MergeMethods.create(record.method(), record.parameters()));
  }

  /**
   * The method's effective lambda range and side as the plan of a neutral one-sample batch of the
   * models' class count (DaWin's and the confidence range depend on it; T³'s does not).
   */
  public MergePlan describe(Merge merge) {
    int classes;
    try (ModelResolver.Lease generalist = models.acquire("generalist", merge.record().generalist())) {
      classes = generalist.classifier().spec().numClasses();
    }
    double[][] uniform = {new double[classes]};
    return merge.method().plan(new ModelOutputs(uniform, uniform));
  }

  public MergedPrediction predict(String mergeId, float[][] inputs) {
    if (inputs != null && inputs.length > properties.maxBatch()) {
      throw new InvalidArgumentException("inputs", "has " + inputs.length + " rows, at most " + properties.maxBatch() + " per request");
    }
    Merge merge = get(mergeId);
    try (ModelResolver.Pair leases = acquire(merge); NDManager m = models.manager().newSubManager()) {
      return pair(leases).predict(m, merge.method(), inputs);
    }
  }

  /** The merge scored on labelled inputs predicted in batches of {@code batchSize} (null: 64). */
  public MergeMetrics evaluate(String mergeId, float[][] inputs, int[] labels, Integer batchSize) {
    if (inputs != null && inputs.length > properties.maxBatch()) {
      throw new InvalidArgumentException("inputs", "has " + inputs.length + " rows, at most " + properties.maxBatch() + " per request");
    }
    Merge merge = get(mergeId);
    try (ModelResolver.Pair leases = acquire(merge); NDManager m = models.manager().newSubManager()) {
      return pair(leases).evaluate(m, merge.method(), inputs, labels, batchSize == null ? ModelPair.DEFAULT_EVALUATION_BATCH : batchSize);
    }
  }

  /** One WiSE-FT point of an alpha sweep. */
  public record SweepPoint(double alpha, MergeMetrics metrics) {}

  /**
   * WiSE-FT at each alpha of {@code parameters.alphas} scored on labelled inputs (nothing stored).
   *
   * @return the points in the order of the alphas
   */
  public List<SweepPoint> sweepWiseFt(String generalist, String expert, Map<String, ?> parameters, float[][] inputs, int[] labels,
      Integer batchSize) {
    ModelResolver.parse("generalist", generalist);
    ModelResolver.parse("expert", expert);
    List<WeightAverage> sweep = MergeMethods.alphaSweep(parameters);
    if (inputs != null && inputs.length > properties.maxBatch()) {
      throw new InvalidArgumentException("inputs", "has " + inputs.length + " rows, at most " + properties.maxBatch() + " per request");
    }
    List<SweepPoint> points = new ArrayList<>();
    try (ModelResolver.Pair leases = models.acquirePair("generalist", generalist, "expert", expert);
        NDManager m = models.manager().newSubManager()) {
      ModelPair pair = pair(leases);
      for (WeightAverage method : sweep) {
        points.add(new SweepPoint(method.alpha(),
            pair.evaluate(m, method, inputs, labels, batchSize == null ? ModelPair.DEFAULT_EVALUATION_BATCH : batchSize)));
      }
    }
    return points;
  }

  /** The merge's two models for one use (its pinned references): close the result when done. */
  public ModelResolver.Pair acquire(Merge merge) {
    return models.acquirePair("generalist", merge.record().generalist(), "expert", merge.record().expert());
  }

  private static ModelPair pair(ModelResolver.Pair leases) {
    return new ModelPair(leases.generalist().classifier(), leases.expert().classifier());
  }

  /** The most accurate point, the first (smallest alpha as given) on ties. */
  public static SweepPoint best(List<SweepPoint> points) {
    SweepPoint best = points.get(0);
    for (SweepPoint p : points) {
      if (p.metrics().accuracy() > best.metrics().accuracy()) {
        best = p;
      }
    }
    return best;
  }

  private static UUID parseId(String mergeId) {
    try {
      return UUID.fromString(mergeId == null ? "" : mergeId);
    } catch (IllegalArgumentException e) {
      throw new InvalidArgumentException("merge_id", "must be a UUID, got '" + mergeId + "'");
    }
  }
}
