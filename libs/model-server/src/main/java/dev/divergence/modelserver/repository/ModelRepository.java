package dev.divergence.modelserver.repository;

import com.google.protobuf.TextFormat;
import dev.divergence.modelserver.InferenceException;
import dev.divergence.modelserver.StatusDescriptions;
import dev.divergence.proto.triton.ModelConfig;
import dev.divergence.proto.triton.ModelVersionPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * A model repository in Triton's layout: {@code <root>/<model>/config.pbtxt} plus numeric
 * version folders {@code <root>/<model>/<version>/} that hold the Hugging Face model files.
 * Only reads; {@link RepositoryWriter} creates entries.
 */
public final class ModelRepository {

    public static final String CONFIG_FILE = "config.pbtxt";

    private final Path root;

    public ModelRepository(Path root) {
        this.root = root.toAbsolutePath().normalize();
    }

    public Path root() {
        return root;
    }

    /** Every folder directly under the root, whether or not its config parses (Triton lists those too). */
    public List<String> modelNames() {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> entries = Files.list(root)) {
            return entries.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .filter(name -> !name.startsWith(".")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list model repository " + root, e);
        }
    }

    public boolean contains(String model) {
        return isPlainName(model) && Files.isDirectory(root.resolve(model));
    }

    /**
     * The parsed config.pbtxt; an empty name is filled with the folder name, as Triton does.
     *
     * @throws InferenceException INVALID_ARGUMENT when the file is missing or does not parse (the
     *     server reports it as a failed poll)
     */
    public ModelConfig readConfig(String model) {
        Path file = modelDir(model).resolve(CONFIG_FILE);
        if (!Files.isRegularFile(file)) {
            throw InferenceException.invalidArgument("no " + CONFIG_FILE + " in " + modelDir(model));
        }
        ModelConfig.Builder config = ModelConfig.newBuilder();
        try {
            TextFormat.merge(Files.readString(file), config);
        } catch (TextFormat.ParseException e) {
            throw InferenceException.invalidArgument(CONFIG_FILE + " of '" + model + "' does not parse: " + e.getMessage());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (config.getName().isEmpty()) {
            config.setName(model);
        } else if (!config.getName().equals(model)) {
            throw InferenceException.invalidArgument(CONFIG_FILE + " in folder '" + model + "' names the model '"
                    + config.getName() + "', which differs from its folder name");
        }
        return config.build();
    }

    /** Numeric version folders present on disk, ascending. */
    public TreeSet<Long> versionsOnDisk(String model) {
        TreeSet<Long> versions = new TreeSet<>();
        try (Stream<Path> entries = Files.list(modelDir(model))) {
            entries.filter(Files::isDirectory).map(p -> p.getFileName().toString())
                    .filter(name -> name.matches("[0-9]{1,18}")).forEach(name -> versions.add(Long.parseLong(name)));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot list versions of " + model, e);
        }
        return versions;
    }

    /** The versions the config's version policy selects; by default only the highest one. */
    public List<Long> versionsToServe(ModelConfig config) {
        TreeSet<Long> onDisk = versionsOnDisk(config.getName());
        ModelVersionPolicy policy = config.getVersionPolicy();
        List<Long> selected = new ArrayList<>();
        switch (policy.getPolicyChoiceCase()) {
            case ALL -> selected.addAll(onDisk);
            case SPECIFIC -> policy.getSpecific().getVersionsList().stream().filter(onDisk::contains).forEach(selected::add);
            case LATEST, POLICYCHOICE_NOT_SET -> {
                int wanted = policy.hasLatest() && policy.getLatest().getNumVersions() > 0 ? policy.getLatest().getNumVersions() : 1;
                onDisk.descendingSet().stream().limit(wanted).forEach(selected::add);
            }
        }
        return selected.stream().sorted().toList();
    }

    public Path versionDir(String model, long version) {
        return modelDir(model).resolve(Long.toString(version));
    }

    private Path modelDir(String model) {
        if (!isPlainName(model)) {
            throw InferenceException.invalidArgument(invalidName(model));
        }
        return root.resolve(model);
    }

    /** Why {@code model} cannot name a folder of the repository, naming the request field. */
    public static String invalidName(String model) {
        return "model_name: '" + StatusDescriptions.echoed(model) + "' is not a valid model name (one folder name: not empty, not '.' or '..',"
                + " no '/', '\\' or control characters)";
    }

    /**
     * One path segment: no separators and no '..', so a request cannot escape the repository, and no
     * control character (a NUL makes the JDK refuse the path with an exception instead of an answer).
     */
    public static boolean isPlainName(String model) {
        return !model.isEmpty() && !model.equals(".") && !model.equals("..") && !model.contains("/") && !model.contains("\\")
                && model.chars().noneMatch(c -> c < 0x20 || c == 0x7f);
    }
}
