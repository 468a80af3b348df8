package dev.divergence.model;

/**
 * Bad model input: a malformed or missing config field, a tensor whose name, dtype or shape does
 * not fit, an unsupported architecture, a sequence longer than the context. The message always
 * names the offending item so that services can turn it into a field-level 4xx / INVALID_ARGUMENT.
 */
public class InvalidModelException extends IllegalArgumentException {

    private final String item;

    public InvalidModelException(String item, String problem) {
        super(item + ": " + problem);
        this.item = item;
    }

    public InvalidModelException(String item, String problem, Throwable cause) {
        super(item + ": " + problem, cause);
        this.item = item;
    }

    /** The config field, tensor name, file or argument that is wrong. */
    public String item() {
        return item;
    }
}
