package dev.divergence.training.trainer.distillation.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * Writes a {@link TeacherLogitCache} file record after record into a temporary sibling, then
 * (header and checksums last, flushed to disk) renames it into place: a worker killed mid-write
 * leaves at most a temporary file, never a cache that looks complete.
 */
final class TeacherLogitCacheWriter implements AutoCloseable {

  private final Path target;
  private final Path temporary;
  private final FileChannel channel;
  private final TeacherCacheIdentity identity;
  private final long[] sections;
  private final CRC32C offsetsCrc = new CRC32C();
  private final CRC32C idsCrc = new CRC32C();
  private final CRC32C logProbsCrc = new CRC32C();
  private final CRC32C tailCrc = new CRC32C();
  private long positionsWritten;
  private boolean committed;

  /** @param offsets first position of each record, {@code records + 1} entries */
  TeacherLogitCacheWriter(Path target, TeacherCacheIdentity identity, long[] offsets) throws IOException {
    this.target = target;
    this.identity = identity;
    this.sections = TeacherLogitCache.sectionStarts(identity);
    Files.createDirectories(target.getParent());
    this.temporary = Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", ".writing");
    this.channel = FileChannel.open(temporary, StandardOpenOption.WRITE);
    ByteBuffer buffer = ByteBuffer.allocate(8 * offsets.length).order(ByteOrder.LITTLE_ENDIAN);
    for (long offset : offsets) {
      buffer.putLong(offset);
    }
    buffer.flip();
    offsetsCrc.update(buffer.duplicate());
    write(buffer, sections[0]);
  }

  /** Appends the next positions: {@code ids} / {@code logProbs} [n, k], {@code tail} [n]. */
  void append(int[] ids, float[] logProbs, float[] tail, int n) throws IOException {
    int k = identity.k();
    ByteBuffer idBytes = ByteBuffer.allocate(4 * n * k).order(ByteOrder.LITTLE_ENDIAN);
    idBytes.asIntBuffer().put(ids, 0, n * k);
    ByteBuffer lpBytes = ByteBuffer.allocate(4 * n * k).order(ByteOrder.LITTLE_ENDIAN);
    lpBytes.asFloatBuffer().put(logProbs, 0, n * k);
    ByteBuffer tailBytes = ByteBuffer.allocate(4 * n).order(ByteOrder.LITTLE_ENDIAN);
    tailBytes.asFloatBuffer().put(tail, 0, n);
    idsCrc.update(idBytes.duplicate());
    logProbsCrc.update(lpBytes.duplicate());
    tailCrc.update(tailBytes.duplicate());
    write(idBytes, sections[1] + 4L * positionsWritten * k);
    write(lpBytes, sections[2] + 4L * positionsWritten * k);
    write(tailBytes, sections[3] + 4L * positionsWritten);
    positionsWritten += n;
  }

  /** Pads the sections, writes the header with the checksums, flushes and renames into place. */
  void commit() throws IOException {
    if (positionsWritten != identity.positions()) {
      throw new IllegalStateException("wrote " + positionsWritten + " positions of " + identity.positions());
    }
    int k = identity.k();
    pad(idsCrc, sections[1] + 4L * identity.positions() * k, sections[2]);
    pad(logProbsCrc, sections[2] + 4L * identity.positions() * k, sections[3]);
    pad(tailCrc, sections[3] + 4L * identity.positions(), sections[4]);
    StringBuilder text = new StringBuilder();
    for (Map.Entry<String, String> e : identity.asHeader().entrySet()) {
      text.append(e.getKey()).append('=').append(e.getValue()).append('\n');
    }
    text.append("crc32c_offsets=").append(offsetsCrc.getValue()).append('\n')
        .append("crc32c_ids=").append(idsCrc.getValue()).append('\n')
        .append("crc32c_logprobs=").append(logProbsCrc.getValue()).append('\n')
        .append("crc32c_tail=").append(tailCrc.getValue()).append('\n');
    byte[] headerText = text.toString().getBytes(StandardCharsets.UTF_8);
    if (headerText.length >= TeacherLogitCache.HEADER_BYTES - TeacherLogitCache.MAGIC.length) {
      throw new IllegalStateException("cache header too long (" + headerText.length + " bytes)");
    }
    ByteBuffer header = ByteBuffer.allocate(TeacherLogitCache.HEADER_BYTES);
    header.put(TeacherLogitCache.MAGIC).put(headerText);
    write(header.clear(), 0);
    channel.force(true);
    channel.close();
    Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    committed = true;
  }

  /** Zero bytes up to the next section (included in that section's checksum, as the reader checks it). */
  private void pad(CRC32C crc, long from, long to) throws IOException {
    if (to > from) {
      ByteBuffer zeros = ByteBuffer.allocate((int) (to - from));
      crc.update(zeros.duplicate());
      write(zeros, from);
    }
  }

  private void write(ByteBuffer buffer, long at) throws IOException {
    long position = at;
    while (buffer.hasRemaining()) {
      position += channel.write(buffer, position);
    }
  }

  @Override
  public void close() throws IOException {
    if (!committed) {
      channel.close();
      Files.deleteIfExists(temporary);
    }
  }
}
