package dev.divergence.training.trainer.distillation.cache;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;

/**
 * A read-only memory map of a whole file of any size: a ByteBuffer maps at most 2 GiB, so the file
 * is mapped as 1 GiB windows that overlap by {@code longestRead} bytes, and every read of at most
 * that many bytes lies inside the window its first byte falls in.
 */
final class MappedFile {

  private static final long WINDOW = 1L << 30;

  private final MappedByteBuffer[] windows;
  private final long size;

  MappedFile(FileChannel channel, long longestRead) throws IOException {
    this.size = channel.size();
    int count = (int) Math.max(1, (size + WINDOW - 1) / WINDOW);
    this.windows = new MappedByteBuffer[count];
    for (int w = 0; w < count; w++) {
      long from = w * WINDOW;
      long length = Math.min(size - from, WINDOW + longestRead);
      windows[w] = channel.map(FileChannel.MapMode.READ_ONLY, from, length);
    }
  }

  long size() {
    return size;
  }

  /** {@code length} bytes at {@code position} as a little-endian buffer (a view, no copy). */
  ByteBuffer slice(long position, int length) {
    int w = (int) (position / WINDOW);
    return windows[w].slice((int) (position - w * WINDOW), length).order(ByteOrder.LITTLE_ENDIAN);
  }

  /** The bytes of [from, to) window by window, for checksums. */
  void forEachChunk(long from, long to, java.util.function.Consumer<ByteBuffer> chunk) {
    for (long at = from; at < to; ) {
      int w = (int) (at / WINDOW);
      long windowEnd = Math.min(to, (w + 1) * WINDOW);
      chunk.accept(windows[w].slice((int) (at - w * WINDOW), (int) (windowEnd - at)));
      at = windowEnd;
    }
  }
}
