package dev.divergence.training.api;

import dev.divergence.training.trainer.data.DatasetRecords;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * A dataset's records as JSON Lines, one record per line in its kind's schema: the format the
 * upload takes and what {@code datasets.load_dataset("json", data_files=...)} and TRL read. The
 * split and index of each record follow from the request (records of the split in index order,
 * starting at {@code offset}); the header {@value #TOTAL_HEADER} gives the size of the split.
 */
@RestController
@RequestMapping("/api/v1/training/datasets")
public class DatasetRecordsController {

  static final String JSON_LINES = "application/x-ndjson";
  static final String TOTAL_HEADER = "X-Total-Count";
  static final String KIND_HEADER = "Divergence-Dataset-Kind";
  private static final int FLUSH_RECORDS = 256;

  private final DatasetReader reader;

  public DatasetRecordsController(DatasetReader reader) {
    this.reader = reader;
  }

  /**
   * Records of {@code split} ("train", "test", empty or absent = all), skipping {@code offset}, at most
   * {@code limit} of them (0 or absent = all). Streamed: a large upload is never held in memory.
   */
  @GetMapping(path = "/{name}/records", produces = JSON_LINES)
  public void records(@PathVariable String name, @RequestParam(required = false) String split,
      @RequestParam(defaultValue = "0") long offset, @RequestParam(defaultValue = "0") long limit,
      HttpServletResponse response) throws IOException {
    try (DatasetRecords.Cursor cursor = reader.open(name, split, offset, limit)) {
      DatasetReader.Description description = reader.describe(name);
      long inSplit = split == null || split.isEmpty() ? description.counts().total()
          : split.equals(DatasetRecords.TRAIN) ? description.counts().train() : description.counts().test();
      response.setContentType(JSON_LINES);
      response.setCharacterEncoding(StandardCharsets.UTF_8);
      response.setHeader(TOTAL_HEADER, Long.toString(inSplit));
      response.setHeader(KIND_HEADER, description.dataset().kind().apiName());
      OutputStream out = response.getOutputStream();
      for (List<DatasetRecords.Record> batch = cursor.next(FLUSH_RECORDS); !batch.isEmpty(); batch = cursor.next(FLUSH_RECORDS)) {
        for (DatasetRecords.Record record : batch) {
          out.write(record.json().getBytes(StandardCharsets.UTF_8));
          out.write('\n');
        }
        out.flush();
      }
    }
  }
}
