package dev.divergence.inference.decoding;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.assets.TinyAssets;
import dev.divergence.model.lm.LlamaModel;
import dev.divergence.model.tokenizer.ByteTokenizer;
import java.nio.file.Path;

/**
 * libs/model's tiny LM for decoding tests, trained once into {@code target/it-data} with the
 * small budget the service's integration tests use, so the module builds it once (TinyAssets
 * builds deterministically and publishes atomically; whoever comes later reuses it).
 */
public final class TinyLm implements AutoCloseable {

    /** The service's "small" built-in budget (divergence.inference.built-in-budget=small). */
    public static final TinyAssets.Budget BUDGET = new TinyAssets.Budget(60, 40);
    public static final Path DATA = Path.of("target/it-data");

    public final NDManager manager;
    public final Path dir;
    public final LlamaModel model;
    public final ByteTokenizer tokenizer = new ByteTokenizer();

    private TinyLm(NDManager manager, Path dir, LlamaModel model) {
        this.manager = manager;
        this.dir = dir;
        this.model = model;
    }

    public static TinyLm load() {
        return load(DATA, BUDGET);
    }

    /** The tiny LM trained with {@code budget} into {@code data} (a folder per budget: the first build decides). */
    public static TinyLm load(Path data, TinyAssets.Budget budget) {
        DjlRuntime.configure(Path.of("target/djl-cache"));
        NDManager manager = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
        Path dir = new TinyAssets(data, budget).ensure(manager, TinyAssets.TINY_LM);
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
