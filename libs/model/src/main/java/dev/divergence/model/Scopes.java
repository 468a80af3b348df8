package dev.divergence.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;

/**
 * The memory discipline of this module. Every forward pass runs inside its own {@link NDScope}
 * (all intermediates are closed when it ends) and hands its result over to the caller: attached
 * to the caller's manager and registered with the caller's enclosing scope, if any. Without the
 * re-registration, a result that escaped an inner scope would escape every outer one too (DJL
 * scopes only track the innermost), and a training loop would leak one array per step.
 *
 * <p>Caveat: do not run optimiser updates inside a scope. Optimisers create their state lazily
 * on the first update; a scope would close it.
 */
public final class Scopes {

    private Scopes() {
    }

    /** Call after the inner scope has closed. */
    public static NDArray handOver(NDArray result, NDManager out) {
        NDScope.register(result);
        result.attach(out);
        return result;
    }
}
