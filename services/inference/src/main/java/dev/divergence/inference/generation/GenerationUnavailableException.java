package dev.divergence.inference.generation;

import dev.divergence.platform.errors.ApiException;
import dev.divergence.platform.errors.ErrorKind;
import java.util.List;

/** Generation cannot run now (every stream slot taken, or the model server unreachable): 503 / UNAVAILABLE, retry later. */
class GenerationUnavailableException extends ApiException {

    GenerationUnavailableException(String message, Throwable cause) {
        super(ErrorKind.UNAVAILABLE, message, List.of());
        if (cause != null) {
            initCause(cause);
        }
    }
}
