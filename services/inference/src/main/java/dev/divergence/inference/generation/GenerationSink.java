package dev.divergence.inference.generation;

import dev.divergence.inference.decoding.GeneratedToken;

/** Where a streamed generation goes (SSE, gRPC): each token, then either the summary or the failure. */
public interface GenerationSink {

    void token(GeneratedToken token);

    void done(GenerateResponse summary);

    void failed(Throwable error);
}
