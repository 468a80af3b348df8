package dev.divergence.inference.generation;

import dev.divergence.inference.decoding.Cancellation;
import dev.divergence.inference.decoding.GeneratedToken;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.io.IOException;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

@RestController
@RequestMapping("/api/v1/inference")
@Tag(name = "generation", description = "Text generation with greedy, sampling and divergence-aware decoding (CAD, AdaCAD, USCD)")
public class GenerationController {

    private final GenerationService generation;
    private final GenerationProperties properties;

    public GenerationController(GenerationService generation, GenerationProperties properties) {
        this.generation = generation;
        this.properties = properties;
    }

    @Operation(summary = "Generate a completion", description = "Decodes until eos, a stop text, maxTokens or a full context; "
            + "returns the text and every token with its log-prob (and per-step diagnostics on request).")
    @ApiResponse(responseCode = "200", description = "the completion")
    @ApiResponse(responseCode = "400", description = "invalid field (named in errors[].field)",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @ApiResponse(responseCode = "404", description = "unknown model",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @PostMapping(path = "/generate", consumes = MediaType.APPLICATION_JSON_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
    public GenerateResponse generate(@RequestBody GenerateRequest request) {
        return generation.generate(request);
    }

    @Operation(summary = "Generate a completion as server-sent events", description = "Events: 'token' (one per generated token, "
            + "as in the tokens of /generate), then 'done' (the summary, without the token list) or 'error' (a problem body). "
            + "Closing the connection stops decoding and frees the model server's sequences. Invalid requests are answered "
            + "before the stream starts, with problem+json.")
    @ApiResponse(responseCode = "200", description = "the event stream", content = @Content(mediaType = MediaType.TEXT_EVENT_STREAM_VALUE))
    @ApiResponse(responseCode = "400", description = "invalid field (named in errors[].field)",
            content = @Content(mediaType = "application/problem+json", schema = @Schema(implementation = ProblemDetail.class)))
    @PostMapping(path = "/generate/stream", consumes = MediaType.APPLICATION_JSON_VALUE, produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    public SseEmitter stream(@RequestBody GenerateRequest request) {
        PreparedGeneration prepared = generation.prepare(request);
        SseEmitter emitter = new SseEmitter(properties.streamTimeout().toMillis());
        Cancellation cancellation = new Cancellation();
        emitter.onCompletion(cancellation::cancel);
        emitter.onTimeout(cancellation::cancel);
        emitter.onError(error -> cancellation.cancel());
        generation.stream(prepared, new SseSink(emitter, cancellation), cancellation);
        return emitter;
    }

    /** A failed send means the client is gone: decoding is cancelled rather than continued for nobody. */
    private record SseSink(SseEmitter emitter, Cancellation cancellation) implements GenerationSink {

        @Override
        public void token(GeneratedToken token) {
            send(SseEmitter.event().name("token").data(GenerateResponse.Token.of(token), MediaType.APPLICATION_JSON));
        }

        @Override
        public void done(GenerateResponse summary) {
            if (send(SseEmitter.event().name("done").data(summary, MediaType.APPLICATION_JSON))) {
                emitter.complete();
            }
        }

        @Override
        public void failed(Throwable error) {
            if (send(SseEmitter.event().name("error").data(Problems.of(error), MediaType.APPLICATION_JSON))) {
                emitter.complete();
            }
        }

        private boolean send(SseEmitter.SseEventBuilder event) {
            if (cancellation.isCancelled()) {
                return false;
            }
            try {
                emitter.send(event);
                return true;
            } catch (IOException | IllegalStateException e) {
                cancellation.cancel();
                return false;
            }
        }
    }
}
