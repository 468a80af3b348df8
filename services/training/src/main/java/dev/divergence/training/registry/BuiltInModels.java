package dev.divergence.training.registry;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.assets.TinyAssets;
import dev.divergence.training.config.TrainingProperties;
import dev.divergence.model.lm.LlamaConfig;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.model.tokenizer.ByteTokenizer;
import dev.divergence.model.tokenizer.Tokenizers;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The tiny models shipped with the platform: made offline by libs/model's own training code on
 * first use (deterministic seeds) and cached in the model store as version 1. Besides libs/model's
 * {@link TinyAssets}, {@value #TINY_LM_STUDENT} is the student of language-model distillation demos:
 * a smaller byte-level Llama (1 layer, hidden 32) sharing tiny-lm's vocabulary, freshly initialised
 * from a fixed seed (no training, so it is made in well under a second).
 */
@Component
public class BuiltInModels {

  private final TrainingProperties properties;

  public BuiltInModels(TrainingProperties properties) {
    this.properties = properties;
  }

  public static final String TINY_LM_STUDENT = "tiny-lm-student";
  static final long STUDENT_SEED = 20251127L;

  public boolean isBuiltIn(String name) {
    return names().contains(name);
  }

  public List<String> names() {
    return Stream.concat(TinyAssets.ALL.stream(), Stream.of(TINY_LM_STUDENT)).toList();
  }

  /** tiny-lm's vocabulary and special tokens, a quarter of its width and half its depth. */
  public static LlamaConfig tinyLmStudentConfig() {
    return LlamaConfig.llama(ByteTokenizer.VOCAB_SIZE, 32, 64, 1, 2, 1, 128)
        .withSpecialTokens(ByteTokenizer.BOS, List.of(ByteTokenizer.EOS), ByteTokenizer.PAD);
  }

  /** The vocabulary size of a built-in language model; empty for the classifiers. */
  public java.util.OptionalInt vocabularySize(String name) {
    return switch (name) {
      case TinyAssets.TINY_LM -> java.util.OptionalInt.of(TinyAssets.tinyLmConfig().vocabSize());
      case TINY_LM_STUDENT -> java.util.OptionalInt.of(tinyLmStudentConfig().vocabSize());
      default -> java.util.OptionalInt.empty();
    };
  }

  /** The model folder, trained and written first if it is not cached yet. */
  public synchronized Path ensure(String name) {
    DjlRuntime.configure(properties.dataDir().resolve("djl"));
    TinyAssets.Budget budget = "small".equals(properties.builtInBudget())
        ? new TinyAssets.Budget(60, 40) : TinyAssets.Budget.standard();
    try (NDManager manager = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE)) {
      if (name.equals(TINY_LM_STUDENT)) {
        return ensureStudent(manager);
      }
      return new TinyAssets(properties.dataDir(), budget).ensure(manager, name);
    }
  }

  /** provenance.json of tiny-lm-student, written by Jackson like libs/model's built-ins. */
  static String studentProvenanceJson() {
    ObjectNode json = JSON.createObjectNode();
    json.put("name", TINY_LM_STUDENT);
    json.put("version", "1");
    json.put("made_by", BuiltInModels.class.getName());
    json.put("description", "byte-level Llama (1 layer, hidden 32), randomly initialised: the student of LM distillation");
    json.put("seed", STUDENT_SEED);
    json.put("steps", 0);
    return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(json) + "\n";
  }

  private static final JsonMapper JSON = JsonMapper.builder().build();

  /** Writes tiny-lm-student into a temporary sibling and renames it into place (readers never see half). */
  private Path ensureStudent(NDManager manager) {
    Path dir = properties.modelsDir().resolve(TINY_LM_STUDENT).resolve("1");
    if (Files.isRegularFile(dir.resolve("provenance.json"))) {
      return dir;
    }
    try {
      Files.createDirectories(dir.getParent());
      Path tmp = Files.createTempDirectory(dir.getParent(), ".building-");
      try (LlamaModel model = LlamaModel.initialize(manager, tinyLmStudentConfig(), STUDENT_SEED)) {
        model.save(tmp);
      }
      Tokenizers.writeByteTokenizer(tmp);
      Files.writeString(tmp.resolve("provenance.json"), studentProvenanceJson());
      Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
      return dir;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create built-in model " + dir, e);
    }
  }
}
