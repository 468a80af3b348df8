package dev.divergence.gateway.route;

import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import org.springframework.web.client.ResourceAccessException;

/** What went wrong when a service gave no answer at all, in words a caller can act on. */
enum TransportFailure {
  CONNECTION_REFUSED,
  CONNECT_TIMEOUT,
  READ_TIMEOUT,
  OTHER;

  static TransportFailure of(ResourceAccessException failure) {
    for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
      if (cause instanceof ConnectException) {
        return CONNECTION_REFUSED;
      }
      if (cause instanceof HttpConnectTimeoutException) {
        return CONNECT_TIMEOUT;
      }
      if (cause instanceof HttpTimeoutException) {
        return READ_TIMEOUT;
      }
    }
    return OTHER;
  }

  /** True when no connection was made, so the service cannot have seen the request. */
  boolean beforeRequestSent() {
    return this == CONNECTION_REFUSED || this == CONNECT_TIMEOUT;
  }

  String describe(ResourceAccessException failure, Duration connectTimeout, Duration readTimeout) {
    return switch (this) {
      case CONNECTION_REFUSED -> "it refused the connection";
      case CONNECT_TIMEOUT -> "no connection within " + connectTimeout.toMillis() + " ms";
      case READ_TIMEOUT -> "no answer within " + readTimeout.toMillis() + " ms";
      case OTHER -> "the call failed (" + failure.getMostSpecificCause().getClass().getSimpleName() + ")";
    };
  }
}
