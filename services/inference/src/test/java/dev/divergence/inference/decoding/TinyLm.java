package dev.divergence.inference.decoding;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.assets.TinyAssets;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.model.tokenizer.ByteTokenizer;
import java.nio.file.Path;

/**
 * libs/model's tiny LM for decoding tests, trained once into {@code target/tiny-assets} and
 * shared by every test class of this module (TinyAssets builds it deterministically and
 * publishes it atomically, so concurrent or later runs reuse it).
 */
public final class TinyLm implements AutoCloseable {

    /** Enough steps that the model completes the corpus' arithmetic and sentences. */
    public static final TinyAssets.Budget BUDGET = new TinyAssets.Budget(TRAINING_STEPS(), 30);
    public static final Path DATA = Path.of("target/tiny-assets");

    public final NDManager manager;
    public final Path dir;
    public final LlamaModel model;
    public final ByteTokenizer tokenizer = new ByteTokenizer();

    private TinyLm(NDManager manager, Path dir, LlamaModel model) {
        this.manager = manager;
        this.dir = dir;
        this.model = model;
    }

    private static int TRAINING_STEPS() {
        return 1200;
    }

    public static TinyLm load() {
        DjlRuntime.configure(Path.of("target/djl-cache"));
        NDManager manager = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
        Path dir = new TinyAssets(DATA, BUDGET).ensure(manager, TinyAssets.TINY_LM);
        return new TinyLm(manager, dir, LlamaModel.load(manager, dir));
    }

    /** Streams backed directly by libs/model decoding sessions (no server involved). */
    public LogitsStreamFactory sessions() {
        return () -> new SessionLogitsStream(model, manager);
    }

    public long[] bos() {
        return new long[] {ByteTokenizer.BOS};
    }

    @Override
    public void close() {
        model.close();
        manager.close();
    }
}
