package dev.divergence.merging.merge;

import ai.djl.ndarray.NDManager;
import dev.divergence.merging.config.MergingProperties;
import dev.divergence.merging.domain.MergeMethod;
import dev.divergence.merging.domain.ModelOutputs;
import dev.divergence.merging.domain.OutputEnsemble;
import dev.divergence.merging.domain.SingleModel;
import dev.divergence.merging.domain.T3Batch;
import dev.divergence.merging.domain.TaskArithmetic;
import dev.divergence.merging.domain.WeightAverage;
import dev.divergence.merging.models.ModelRegistryClient;
import dev.divergence.merging.models.ModelResolver;
import dev.divergence.model.ParameterMerging;
import dev.divergence.model.Parameters;
import dev.divergence.model.classifier.Classifier;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.proto.training.v1.MergedFrom;
import dev.divergence.proto.training.v1.Model;
import dev.divergence.proto.training.v1.RegisterModelRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Service;

/**
 * Exports a static merge to the model registry so that inference can serve it: the merged weights
 * w theta_g + (1 - w) theta_e (w the generalist's weight of the method, the same
 * {@link ParameterMerging#interpolate} the merge predicts with) are saved as a classifier folder under
 * {@code <data>/exports/<merge id>/<name>} and registered through ModelRegistryService.RegisterModel as
 * the next version of {@code name}, with both parents as its lineage and the method and its
 * parameters as metadata (numbers also as metrics {@code merge.<parameter>}).
 *
 * <p>Only methods with one weight set for every input can be exported: wise_ft (at its alpha),
 * task_arithmetic (at its scale), generalist, expert. Per-sample (t3, dawin, confidence), per-batch
 * (t3_batch) and output (ensemble) methods are rejected naming {@code method}.
 */
@Service
public class MergeExporter {

  private static final Logger log = LoggerFactory.getLogger(MergeExporter.class);
  /** The registry's rule for names (checked here so that a bad name never materialises weights). */
  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,99}");

  private final MergeService merges;
  private final ModelResolver models;
  private final ModelRegistryClient registry;
  private final Path exportsDir;

  public MergeExporter(MergeService merges, ModelResolver models, ModelRegistryClient registry, MergingProperties properties) {
    this.merges = merges;
    this.models = models;
    this.registry = registry;
    this.exportsDir = properties.dataDir().resolve("exports");
  }

  /** The registered model: {@code model} is its reference "name:version". */
  public record Export(String mergeId, String model, String uri, String architecture) {}

  public Export export(String mergeId, String name) {
    if (name == null || name.isBlank()) {
      throw new InvalidArgumentException("name", "is required: the registry name the merged model is registered under");
    }
    if (!NAME.matcher(name).matches()) {
      throw new InvalidArgumentException("name", "'" + name + "' is not a model name: [a-z0-9._-], starting with a letter or digit,"
          + " at most 100 characters");
    }
    MergeService.Merge merge = merges.get(mergeId);
    double generalistWeight = staticGeneralistWeight(merge.method());
    String id = merge.record().mergeId().toString();
    Path dir = exportsDir.resolve(id).resolve(name);
    try (ModelResolver.Pair pair = merges.acquire(merge); NDManager m = models.manager().newSubManager()) {
      Classifier generalist = pair.generalist().classifier();
      Parameters merged = ParameterMerging.interpolate(m, generalist.parameters(), pair.expert().classifier().parameters(),
          generalistWeight);
      write(new Classifier(generalist.spec(), merged), dir);
    }
    Map<String, String> metadata = new TreeMap<>();
    metadata.put("merge.id", id);
    metadata.put("merge.method", merge.record().method());
    metadata.put("merge.generalist_weight", Double.toString(generalistWeight));
    Map<String, Double> metrics = new TreeMap<>();
    metrics.put("merge.generalist_weight", generalistWeight);
    merge.method().parameters().forEach((parameter, value) -> {
      metadata.put("merge.parameters." + parameter, String.valueOf(value));
      if (value instanceof Number number) {
        metrics.put("merge." + parameter, number.doubleValue());
      }
    });
    RegisterModelRequest request = RegisterModelRequest.newBuilder().setName(name).setPath(dir.toString())
        .setBaseModel(merge.record().generalist())
        .setMergedFrom(MergedFrom.newBuilder().setGeneralist(merge.record().generalist()).setExpert(merge.record().expert()))
        .putAllMetrics(metrics).putAllMetadata(metadata)
        // exporting the same merge under the same name again returns the first registration
        .setIdempotencyKey("merging-export:" + id + ":" + name).build();
    Model model = registry.register("name", request);
    String reference = model.getName() + ":" + model.getVersion();
    log.info("merge {} ({} {}) exported as {}", id, merge.record().method(), merge.method().parameters(), reference);
    return new Export(id, reference, model.getUri(), model.getArchitecture());
  }

  /**
   * The generalist's weight of a method with one weight set for every input (the plan's weight, which
   * for these methods does not depend on the inputs).
   *
   * @throws InvalidArgumentException naming {@code method} for every other method
   */
  static double staticGeneralistWeight(MergeMethod method) {
    if (method instanceof WeightAverage || method instanceof TaskArithmetic || method instanceof SingleModel) {
      // two classes, identical outputs: the plan of a static method does not depend on them
      double[][] neutral = {{0.0, 0.0}};
      return method.plan(new ModelOutputs(neutral, neutral)).generalistWeight()[0];
    }
    throw new InvalidArgumentException("method", "a '" + method.name() + "' merge has no single weight set to export: it merges"
        + (method instanceof OutputEnsemble ? " the two models' outputs" : method instanceof T3Batch ? " with a new coefficient per batch"
            : " with a coefficient per input sample")
        + "; only wise_ft, task_arithmetic, generalist and expert merges can be exported");
  }

  /** Saves the classifier into a fresh folder next to {@code dir}, then moves it into place (an earlier export is replaced). */
  private static void write(Classifier classifier, Path dir) {
    try {
      Files.createDirectories(dir.getParent());
      Path tmp = Files.createTempDirectory(dir.getParent(), "." + dir.getFileName() + ".");
      classifier.save(tmp);
      if (Files.exists(dir)) {
        deleteRecursively(dir);
      }
      Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the merged model to " + dir, e);
    }
  }

  private static void deleteRecursively(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path file : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
        Files.delete(file);
      }
    }
  }
}
