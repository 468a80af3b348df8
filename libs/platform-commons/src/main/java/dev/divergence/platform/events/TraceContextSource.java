package dev.divergence.platform.events;

import dev.divergence.proto.common.v1.TraceContext;
import io.micrometer.tracing.Tracer;
import io.micrometer.tracing.propagation.Propagator;
import java.util.HashMap;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;

/**
 * Captures the W3C trace context of the current span so an event published later by the outbox
 * relay still continues the trace of the request that caused it.
 */
public class TraceContextSource {

  private final ObjectProvider<Tracer> tracer;
  private final ObjectProvider<Propagator> propagator;

  public TraceContextSource(ObjectProvider<Tracer> tracer, ObjectProvider<Propagator> propagator) {
    this.tracer = tracer;
    this.propagator = propagator;
  }

  public TraceContext current() {
    Tracer currentTracer = tracer.getIfAvailable();
    Propagator currentPropagator = propagator.getIfAvailable();
    if (currentTracer == null || currentPropagator == null || currentTracer.currentTraceContext().context() == null) {
      return TraceContext.getDefaultInstance();
    }
    Map<String, String> carrier = new HashMap<>();
    currentPropagator.inject(currentTracer.currentTraceContext().context(), carrier, Map::put);
    TraceContext.Builder context = TraceContext.newBuilder();
    if (carrier.containsKey(EventHeaders.TRACEPARENT)) {
      context.setTraceparent(carrier.get(EventHeaders.TRACEPARENT));
    }
    if (carrier.containsKey(EventHeaders.TRACESTATE)) {
      context.setTracestate(carrier.get(EventHeaders.TRACESTATE));
    }
    return context.build();
  }
}
