package dev.divergence.training.api;

import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.platform.errors.NotFoundException;
import dev.divergence.training.registry.DatasetRegistry;
import dev.divergence.training.registry.ModelReference;
import dev.divergence.training.registry.ModelRegistry;
import dev.divergence.training.registry.RegisteredDataset;
import dev.divergence.training.registry.RegisteredModel;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** The model and dataset registry. */
@RestController
@RequestMapping("/api/v1/training")
public class RegistryController {

  private final ModelRegistry models;
  private final DatasetRegistry datasets;

  public RegistryController(ModelRegistry models, DatasetRegistry datasets) {
    this.models = models;
    this.datasets = datasets;
  }

  /** Registered model versions, and the names of the built-in models made on first use. */
  @GetMapping("/models")
  public ModelList models() {
    return new ModelList(models.list(), models.builtInNames());
  }

  /** A model by name (latest version) or name:version. */
  @GetMapping("/models/{reference}")
  public RegisteredModel model(@PathVariable String reference) {
    return models.find(ModelReference.parse("reference", reference))
        .orElseThrow(() -> new NotFoundException("model", reference));
  }

  /** Imports a Hugging Face model folder from a path the service can read, as the next version of {@code name}. */
  @PostMapping("/models")
  public ResponseEntity<RegisteredModel> importModel(@RequestBody ImportModelRequest request) {
    if (request.path() == null || request.path().isBlank()) {
      throw new InvalidArgumentException("path", "is required");
    }
    RegisteredModel model = models.importFromPath(request.name(), Path.of(request.path()));
    return ResponseEntity.created(URI.create("/api/v1/training/models/" + model.reference())).body(model);
  }

  @GetMapping("/datasets")
  public List<RegisteredDataset> datasets() {
    return datasets.list();
  }

  @GetMapping("/datasets/{name}")
  public RegisteredDataset dataset(@PathVariable String name) {
    return datasets.get(name);
  }

  /**
   * Uploads a JSONL dataset (one record per line, body of any content type such as
   * application/x-ndjson); every record is checked against the kind's schema first.
   */
  @PostMapping(path = "/datasets", consumes = "*/*")
  public ResponseEntity<RegisteredDataset> upload(@RequestParam String name, @RequestParam String kind,
      HttpServletRequest request) throws IOException {
    RegisteredDataset dataset = datasets.upload(name, kind, request.getInputStream());
    return ResponseEntity.created(URI.create("/api/v1/training/datasets/" + dataset.name())).body(dataset);
  }

  public record ModelList(List<RegisteredModel> models, List<String> builtIn) {}

  public record ImportModelRequest(String name, String path) {}
}
