package dev.divergence.training.trainer.distillation.cache;

import dev.divergence.math.logits.TopKTeacher;
import dev.divergence.training.trainer.data.SequenceBatch;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.zip.CRC32C;

/**
 * A teacher's top-k distributions per position, read from a memory-mapped cache file.
 *
 * <p>File layout (little endian; every section starts at a multiple of 8):
 * <pre>
 * [0, 8)        magic "DVTOPK01"
 * [8, 4096)     header: UTF-8 "key=value" lines, zero-padded: the {@link TeacherCacheIdentity}
 *               fields plus crc32c_offsets, crc32c_ids, crc32c_logprobs, crc32c_tail
 * offsets       int64[records + 1]: first position of each record; the last entry = positions
 * ids           int32[positions * k]: the teacher's k most likely token ids, most likely first
 * logprobs      float32[positions * k]: their log-probabilities at the job's temperature
 * tail          float32[positions]: the teacher's mass outside the top-k (the tail bin), summed over
 *               those tokens (not 1 - the top-k mass, which float32 rounding can make 0)
 * </pre>
 * Position t of a record is the teacher's prediction of token t+1 from tokens 0..t.
 * A file is only ever used when its magic, its header (the identity) and its size match and the
 * four checksums verify; anything else is treated as absent and rebuilt.
 */
public final class TeacherLogitCache implements AutoCloseable {

  static final byte[] MAGIC = "DVTOPK01".getBytes(StandardCharsets.US_ASCII);
  static final int HEADER_BYTES = 4096;
  static final String[] SECTIONS = {"offsets", "ids", "logprobs", "tail"};

  private final MappedFile file;
  private final TeacherCacheIdentity identity;
  private final long[] offsets;
  private final long idsAt;
  private final long logProbsAt;
  private final long tailAt;

  private TeacherLogitCache(MappedFile file, TeacherCacheIdentity identity, long[] offsets) {
    this.file = file;
    this.identity = identity;
    this.offsets = offsets;
    long[] sections = sectionStarts(identity);
    this.idsAt = sections[1];
    this.logProbsAt = sections[2];
    this.tailAt = sections[3];
  }

  /** Byte offsets of the four sections, then the file size. */
  static long[] sectionStarts(TeacherCacheIdentity id) {
    long offsets = HEADER_BYTES;
    long ids = offsets + 8L * (id.records() + 1);
    long logProbs = ids + align8(4L * id.positions() * id.k());
    long tail = logProbs + align8(4L * id.positions() * id.k());
    long end = tail + align8(4L * id.positions());
    return new long[] {offsets, ids, logProbs, tail, end};
  }

  static long align8(long bytes) {
    return (bytes + 7) & ~7L;
  }

  /**
   * The cache at {@code path} if it is complete, intact and was computed from {@code expected};
   * empty (with the reason in {@code why}) otherwise.
   */
  public static Optional<TeacherLogitCache> open(Path path, TeacherCacheIdentity expected, StringBuilder why) {
    if (!Files.isRegularFile(path)) {
      why.append("no cache file");
      return Optional.empty();
    }
    try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
      long size = channel.size();
      long[] sections = sectionStarts(expected);
      if (size != sections[4]) {
        why.append("size ").append(size).append(" bytes, expected ").append(sections[4]);
        return Optional.empty();
      }
      // the map stays valid after the channel is closed
      MappedFile file = new MappedFile(channel, Math.max(HEADER_BYTES, 4L * expected.k()));
      Map<String, String> header = readHeader(file);
      if (header == null) {
        why.append("not a teacher-logit cache (bad magic)");
        return Optional.empty();
      }
      for (Map.Entry<String, String> e : expected.asHeader().entrySet()) {
        if (!e.getValue().equals(header.get(e.getKey()))) {
          why.append("stale: ").append(e.getKey()).append(" is ").append(header.get(e.getKey()))
              .append(", the job has ").append(e.getValue());
          return Optional.empty();
        }
      }
      for (int s = 0; s < SECTIONS.length; s++) {
        long crc = checksum(file, sections[s], sections[s + 1]);
        if (!Long.toString(crc).equals(header.get("crc32c_" + SECTIONS[s]))) {
          why.append("corrupt: checksum of section ").append(SECTIONS[s]).append(" does not match");
          return Optional.empty();
        }
      }
      long[] offsets = new long[expected.records() + 1];
      for (int r = 0; r < offsets.length; r++) {
        offsets[r] = file.slice(sections[0] + 8L * r, 8).getLong();
      }
      return Optional.of(new TeacherLogitCache(file, expected, offsets));
    } catch (IOException | RuntimeException e) {
      why.append("unreadable: ").append(e.getMessage());
      return Optional.empty();
    }
  }

  static Map<String, String> readHeader(MappedFile file) {
    ByteBuffer head = file.slice(0, HEADER_BYTES);
    for (byte b : MAGIC) {
      if (head.get() != b) {
        return null;
      }
    }
    byte[] text = new byte[HEADER_BYTES - MAGIC.length];
    head.get(text);
    int end = 0;
    while (end < text.length && text[end] != 0) {
      end++;
    }
    Map<String, String> header = new LinkedHashMap<>();
    for (String line : new String(text, 0, end, StandardCharsets.UTF_8).split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        header.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return header;
  }

  static long checksum(MappedFile file, long from, long to) {
    CRC32C crc = new CRC32C();
    file.forEachChunk(from, to, crc::update);
    return crc.getValue();
  }

  public TeacherCacheIdentity identity() {
    return identity;
  }

  public int k() {
    return identity.k();
  }

  /** Cached positions of record {@code record}. */
  public int positions(int record) {
    return Math.toIntExact(offsets[record + 1] - offsets[record]);
  }

  /** Copies position {@code position} of {@code record} into row {@code row} of the arrays ([rows, k]). */
  public void read(int record, int position, int[] ids, float[] logProbs, int row) {
    int k = identity.k();
    long at = offsets[record] + position;
    file.slice(idsAt + 4L * at * k, 4 * k).asIntBuffer().get(ids, row * k, k);
    file.slice(logProbsAt + 4L * at * k, 4 * k).asFloatBuffer().get(logProbs, row * k, k);
  }

  /** The tail mass (the teacher's mass outside the top-k) at a position. */
  public float tail(int record, int position) {
    return file.slice(tailAt + 4L * (offsets[record] + position), 4).getFloat();
  }

  /**
   * The teacher for a batch's prediction rows [B * (T - 1)]: sequence b of the batch is cached
   * record {@code records[b]}. Rows past a sequence's end (padding, never counted by the loss) get
   * a uniform placeholder over tokens 0..k-1.
   */
  public TopKTeacher teacherFor(SequenceBatch batch, int[] records) {
    int k = identity.k();
    int perSequence = batch.length() - 1;
    int rows = batch.batch() * perSequence;
    int[] ids = new int[rows * k];
    float[] logProbs = new float[rows * k];
    double[] tails = new double[rows];
    float uniform = (float) -Math.log(k);
    for (int b = 0; b < batch.batch(); b++) {
      int cached = positions(records[b]);
      for (int t = 0; t < perSequence; t++) {
        int row = b * perSequence + t;
        if (t < cached) {
          read(records[b], t, ids, logProbs, row);
          tails[row] = tail(records[b], t);
        } else {
          for (int j = 0; j < k; j++) {
            ids[row * k + j] = j;
            logProbs[row * k + j] = uniform;
          }
        }
      }
    }
    return new TopKTeacher(rows, k, ids, logProbs, tails);
  }

  /** Nothing to release eagerly: the JVM unmaps the file when the cache is unreachable. */
  @Override
  public void close() {
  }

  /** Throws the unchecked form of an I/O failure with the file named. */
  static UncheckedIOException failure(Path path, IOException e) {
    return new UncheckedIOException("teacher-logit cache " + path + ": " + e.getMessage(), e);
  }
}
