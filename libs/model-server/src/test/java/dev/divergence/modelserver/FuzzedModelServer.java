package dev.divergence.modelserver;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import dev.divergence.model.DjlRuntime;
import dev.divergence.model.assets.TinyAssets;
import dev.divergence.modelserver.repository.RepositoryWriter;
import dev.divergence.proto.triton.ModelConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The model server the fuzz tests send mutated requests to (gRPC and KServe REST): a language model and
 * a classifier that stay served, and a spare copy of the classifier that the fuzzers may unload.
 */
final class FuzzedModelServer implements AutoCloseable {

    static final String LM = "tiny-lm";
    static final String CLASSIFIER = "cancer";
    /** The only model the fuzzers may unload, so that the two above stay served. */
    static final String SPARE = "cancer-spare";
    /** Features of the breast-cancer classifier. */
    static final int FEATURES = 30;

    private final NDManager manager;
    private final ModelServer server;

    private FuzzedModelServer(NDManager manager, ModelServer server) {
        this.manager = manager;
        this.server = server;
    }

    static FuzzedModelServer start(String repositoryPrefix) throws IOException {
        Files.createDirectories(Path.of("target/tmp"));
        Path repository = Files.createTempDirectory(Path.of("target/tmp"), repositoryPrefix);
        DjlRuntime.configure(Path.of("target/djl-cache"));
        NDManager manager = NDManager.newBaseManager(Device.cpu(), DjlRuntime.ENGINE);
        try {
            TinyAssets assets = new TinyAssets(Path.of("target/tiny-assets"), new TinyAssets.Budget(40, 30));
            Path lmDir = assets.ensure(manager, TinyAssets.TINY_LM);
            Path classifierDir = assets.ensure(manager, TinyAssets.CANCER_STUDENT);
            RepositoryWriter writer = new RepositoryWriter(repository);
            writer.write(RepositoryWriter.languageModelConfig(LM, lmDir, 4), 1, lmDir);
            ModelConfig classifier = RepositoryWriter.classifierConfig(CLASSIFIER, classifierDir, 4);
            writer.write(classifier, 1, classifierDir);
            writer.write(classifier.toBuilder().setName(SPARE).build(), 1, classifierDir);
            ModelServer server = ModelServer.start(repository, "127.0.0.1", new ModelServer.Ports(0, 0, -1),
                    List.of(LM, CLASSIFIER, SPARE));
            return new FuzzedModelServer(manager, server);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    int grpcPort() {
        return server.port();
    }

    int httpPort() {
        return server.httpPort();
    }

    @Override
    public void close() {
        server.close();
        manager.close();
    }
}
