package dev.divergence.training.api;

import dev.divergence.platform.errors.FieldViolation;
import dev.divergence.platform.errors.InvalidArgumentException;
import dev.divergence.training.registry.DatasetRegistry;
import dev.divergence.training.registry.RegisteredDataset;
import dev.divergence.training.trainer.data.DatasetRecords;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * Reading a dataset's records, shared by REST and gRPC so both check the same fields the same way:
 * {@code name} (unknown: not found), {@code split} ("train", "test", or empty for all),
 * {@code offset} and {@code limit} (not negative; a limit of 0 means no limit).
 */
@Component
public class DatasetReader {

  private final DatasetRegistry registry;

  public DatasetReader(DatasetRegistry registry) {
    this.registry = registry;
  }

  /** A dataset with the number of records in each split. */
  public record Description(RegisteredDataset dataset, DatasetRecords.Counts counts) {}

  public Description describe(String name) {
    if (name == null || name.isEmpty()) {
      throw new InvalidArgumentException("name", "is required");
    }
    RegisteredDataset dataset = registry.get(name);
    return new Description(dataset, DatasetRecords.counts(dataset));
  }

  /** Checks every argument first (all violations at once), then opens the records. */
  public DatasetRecords.Cursor open(String name, String split, long offset, long limit) {
    List<FieldViolation> violations = new ArrayList<>();
    if (name == null || name.isEmpty()) {
      violations.add(new FieldViolation("name", "is required"));
    }
    if (!DatasetRecords.isSplit(split)) {
      violations.add(new FieldViolation("split", "must be \"train\", \"test\" or empty (every record)"));
    }
    if (offset < 0) {
      violations.add(new FieldViolation("offset", "must not be negative"));
    }
    if (limit < 0) {
      violations.add(new FieldViolation("limit", "must not be negative (0 = no limit)"));
    }
    if (!violations.isEmpty()) {
      throw new InvalidArgumentException(violations);
    }
    return DatasetRecords.open(registry.get(name), split, offset, limit);
  }
}
