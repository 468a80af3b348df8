package dev.divergence.inference.models;

import dev.divergence.model.tokenizer.TextTokenizer;
import java.util.List;

/**
 * The models this service can serve and the text side of each (its tokenizer). Generation and
 * scoring resolve every request's {@code model} field here before talking to the backend.
 */
public interface ModelCatalog {

    List<ServableModel> list();

    /**
     * The model named in a request's {@code model} field.
     *
     * @throws dev.divergence.platform.errors.NotFoundException (field "model") when unknown
     * @throws ModelNotServableYetException when PREPARING (a built-in being made at start-up) or LOADING: retry
     * @throws dev.divergence.platform.errors.ConflictException when FAILED or UNLOADED
     */
    ServableModel require(String name);

    /** The tokenizer of a READY language model (shared; callers must not close it). */
    TextTokenizer tokenizer(String name);
}
