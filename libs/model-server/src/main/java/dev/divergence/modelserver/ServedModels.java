package dev.divergence.modelserver;

import ai.djl.ndarray.NDManager;
import dev.divergence.modelserver.backend.Backends;
import dev.divergence.modelserver.backend.ModelBackend;
import dev.divergence.modelserver.repository.ModelRepository;
import dev.divergence.proto.triton.ModelConfig;
import dev.divergence.proto.triton.RepositoryIndexResponse.ModelIndex;
import io.grpc.Status;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The models this server serves, loaded and unloaded explicitly (Triton's
 * {@code --model-control-mode=explicit}), and the lookups with Triton's error codes:
 * a name never loaded is INVALID_ARGUMENT, a known model without that (or any) ready version is
 * NOT_FOUND, a version being unloaded is UNAVAILABLE.
 */
public final class ServedModels implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ServedModels.class);

    /** The versions of one model that serve together, highest last; empty after an unload or failed load. */
    private record Entry(NavigableMap<Long, LoadedVersion> versions, ModelState state, String reason) {
    }

    private final ModelRepository repository;
    private final NDManager manager;
    private final Map<String, Entry> models = new ConcurrentHashMap<>();

    public ServedModels(ModelRepository repository, NDManager manager) {
        this.repository = repository;
        this.manager = manager;
    }

    public ModelRepository repository() {
        return repository;
    }

    /**
     * Loads (or reloads) every version the model's policy selects; the old versions keep serving
     * until the new ones are ready, then are unloaded.
     */
    public synchronized void load(String name) {
        if (!ModelRepository.isPlainName(name)) {
            // no repository could hold it: the caller's input is wrong, not the repository (Triton has no such case)
            throw InferenceException.invalidArgument(ModelRepository.invalidName(name));
        }
        if (!repository.contains(name)) {
            throw new InferenceException(Status.Code.INTERNAL, "failed to load '" + StatusDescriptions.echoed(name) + "', failed to poll from model repository");
        }
        ModelConfig config;
        List<Long> versions;
        try {
            config = repository.readConfig(name);
            versions = repository.versionsToServe(config);
        } catch (RuntimeException e) {
            // Triton reports an unreadable config.pbtxt as a failed poll (INTERNAL)
            markFailed(name, e.getMessage());
            throw new InferenceException(Status.Code.INTERNAL, "failed to load '" + StatusDescriptions.echoed(name) + "', failed to poll from model repository: "
                    + e.getMessage(), e);
        }
        if (versions.isEmpty()) {
            String reason = "no numeric version folder in " + repository.root().resolve(name) + " matches the version policy";
            markFailed(name, reason);
            throw new InferenceException(Status.Code.INTERNAL, "failed to load '" + StatusDescriptions.echoed(name) + "', no version is available: " + reason);
        }
        NavigableMap<Long, LoadedVersion> loaded = new TreeMap<>();
        try {
            for (long version : versions) {
                ModelBackend backend = Backends.load(manager, config, repository.versionDir(name, version));
                try {
                    loaded.put(version, new LoadedVersion(config, version, backend));
                } catch (RuntimeException e) {
                    backend.close();
                    throw e;
                }
            }
        } catch (RuntimeException e) {
            loaded.values().forEach(LoadedVersion::close);
            markFailed(name, e.getMessage());
            // a model that polled but does not load is INVALID_ARGUMENT in Triton ("load failed for model ...")
            throw e instanceof InferenceException ? e : new InferenceException(Status.Code.INVALID_ARGUMENT,
                    "load failed for model '" + StatusDescriptions.echoed(name) + "': " + e.getMessage(), e);
        }
        Entry previous = models.put(name, new Entry(Collections.unmodifiableNavigableMap(loaded), ModelState.READY, ""));
        if (previous != null) {
            previous.versions().values().forEach(LoadedVersion::close);
        }
        LOG.info("loaded model '{}' versions {}", name, loaded.keySet());
    }

    /** Records a failed load, unless older versions of the model keep serving. */
    private void markFailed(String name, String reason) {
        Entry previous = models.get(name);
        if (previous == null || previous.versions().isEmpty()) {
            models.put(name, new Entry(Collections.emptyNavigableMap(), ModelState.UNAVAILABLE, reason));
        }
    }

    /** Unloads every version; unloading a model that is not loaded (or not known at all) is a no-op, as in Triton. */
    public synchronized void unload(String name) {
        Entry previous = models.get(name);
        if (previous == null) {
            return;
        }
        models.put(name, new Entry(Collections.emptyNavigableMap(), ModelState.UNAVAILABLE, "unloaded"));
        previous.versions().values().forEach(LoadedVersion::close);
        LOG.info("unloaded model '{}'", name);
    }

    /** The version to serve a request: an explicit one, or the highest ready one when empty. */
    public LoadedVersion resolve(String name, String version) {
        Entry entry = models.get(name);
        if (entry == null) {
            throw InferenceException.invalidArgument("Request for unknown model: '" + StatusDescriptions.echoed(name) + "' is not found");
        }
        if (version.isEmpty()) {
            if (entry.versions().isEmpty()) {
                throw InferenceException.notFound("Request for unknown model: '" + StatusDescriptions.echoed(name) + "' has no available versions");
            }
            return entry.versions().lastEntry().getValue();
        }
        long number;
        try {
            number = Long.parseLong(version);
        } catch (NumberFormatException e) {
            throw InferenceException.invalidArgument("failed to parse model version '" + StatusDescriptions.echoed(version) + "' of '" + StatusDescriptions.echoed(name) + "'");
        }
        LoadedVersion loaded = entry.versions().get(number);
        if (loaded == null) {
            throw InferenceException.notFound("Request for unknown model: '" + StatusDescriptions.echoed(name) + "' version " + number + " is not found");
        }
        return loaded;
    }

    public boolean isReady(String name, String version) {
        try {
            resolve(name, version);
            return true;
        } catch (InferenceException e) {
            return false;
        }
    }

    /** Ready versions of one model (or of all models when name is empty), for statistics. */
    public List<LoadedVersion> readyVersions(String name) {
        List<LoadedVersion> out = new ArrayList<>();
        new TreeMap<>(models).forEach((model, entry) -> {
            if (name.isEmpty() || name.equals(model)) {
                out.addAll(entry.versions().values());
            }
        });
        return out;
    }

    /** Everything in the repository with its state; models never loaded appear without version or state. */
    public List<ModelIndex> index(boolean readyOnly) {
        List<ModelIndex> out = new ArrayList<>();
        TreeMap<String, Entry> snapshot = new TreeMap<>(models);
        for (String name : repository.modelNames()) {
            snapshot.putIfAbsent(name, null);
        }
        snapshot.forEach((name, entry) -> {
            if (entry == null) {
                if (!readyOnly) {
                    out.add(ModelIndex.newBuilder().setName(name).build());
                }
            } else if (entry.versions().isEmpty()) {
                if (!readyOnly) {
                    out.add(ModelIndex.newBuilder().setName(name).setState(entry.state().name()).setReason(entry.reason()).build());
                }
            } else {
                entry.versions().keySet().forEach(v -> out.add(ModelIndex.newBuilder().setName(name)
                        .setVersion(Long.toString(v)).setState(ModelState.READY.name()).build()));
            }
        });
        return out;
    }

    @Override
    public synchronized void close() {
        models.values().forEach(entry -> entry.versions().values().forEach(LoadedVersion::close));
        models.clear();
    }
}
