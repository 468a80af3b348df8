package dev.divergence.platform.events;

/** Kafka record headers duplicated from the envelope so tools can filter without decoding it. */
public final class EventHeaders {

  public static final String EVENT_ID = "divergence-event-id";
  public static final String EVENT_TYPE = "divergence-event-type";
  public static final String TENANT = "divergence-tenant";
  /** W3C trace context; the listener observation continues the producer's trace from it. */
  public static final String TRACEPARENT = "traceparent";
  public static final String TRACESTATE = "tracestate";

  private EventHeaders() {}
}
