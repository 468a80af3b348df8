package dev.divergence.gateway.grpc;

import io.grpc.ClientCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.Status;
import java.util.function.Consumer;

/**
 * One call through the gateway: the caller's {@link ServerCall} joined to a {@link ClientCall} to the
 * service, message by message in both directions, so a stream flows through as it is produced.
 * Flow control follows the slower side: the next message is asked for from one side only once the
 * other side is ready to take it, so a slow caller throttles the service and the gateway never
 * buffers a whole stream. Cancellation runs both ways: a caller that cancels (or whose deadline
 * passes) cancels the service's call; a service that ends the call ends the caller's with the same
 * status and trailers.
 */
final class ProxyCall {

  private final ServerCall<byte[], byte[]> serverCall;
  private final ClientCall<byte[], byte[]> clientCall;
  private final Metadata responseHeaderExtras;
  private final Closing closing;
  private final Consumer<Status> onClosed;
  private final Object lock = new Object();
  private boolean callerWaitsForService;
  private boolean serviceWaitsForCaller;

  ProxyCall(ServerCall<byte[], byte[]> serverCall, ClientCall<byte[], byte[]> clientCall, Metadata responseHeaderExtras,
      Closing closing, Consumer<Status> onClosed) {
    this.serverCall = serverCall;
    this.clientCall = clientCall;
    this.responseHeaderExtras = responseHeaderExtras;
    this.closing = closing;
    this.onClosed = onClosed;
  }

  /** The service's final status as the caller should see it; may add to the trailers. */
  interface Closing {
    /** {@code answered}: whether the service sent response headers, i.e. was reached at all. */
    Status close(Status status, Metadata trailers, boolean answered);
  }

  /** Starts the service's call with {@code headers} and returns the listener for the caller's side. */
  ServerCall.Listener<byte[]> start(Metadata headers) {
    clientCall.start(new FromService(), headers);
    serverCall.request(1);
    clientCall.request(1);
    return new FromCaller();
  }

  /** The caller's messages and events, passed on to the service. */
  private final class FromCaller extends ServerCall.Listener<byte[]> {

    @Override
    public void onMessage(byte[] message) {
      clientCall.sendMessage(message);
      synchronized (lock) {
        if (clientCall.isReady()) {
          serverCall.request(1);
        } else {
          callerWaitsForService = true;
        }
      }
    }

    @Override
    public void onHalfClose() {
      clientCall.halfClose();
    }

    @Override
    public void onCancel() {
      clientCall.cancel("the caller cancelled the call or its deadline passed", null);
    }

    @Override
    public void onReady() {
      synchronized (lock) {
        if (serviceWaitsForCaller) {
          serviceWaitsForCaller = false;
          clientCall.request(1);
        }
      }
    }
  }

  /** The service's answer, passed on to the caller. */
  private final class FromService extends ClientCall.Listener<byte[]> {

    private boolean headersSent;

    @Override
    public void onHeaders(Metadata headers) {
      headers.merge(responseHeaderExtras);
      headersSent = true;
      serverCall.sendHeaders(headers);
    }

    @Override
    public void onMessage(byte[] message) {
      serverCall.sendMessage(message);
      synchronized (lock) {
        if (serverCall.isReady()) {
          clientCall.request(1);
        } else {
          serviceWaitsForCaller = true;
        }
      }
    }

    @Override
    public void onClose(Status status, Metadata trailers) {
      if (!headersSent) {
        // a trailers-only answer (an error before any message): the extras go with the trailers
        trailers.merge(responseHeaderExtras);
      }
      Status shown = closing.close(status, trailers, headersSent);
      // recorded before the caller hears of it, so whoever sees the answer finds the record
      onClosed.accept(shown);
      try {
        serverCall.close(shown, trailers);
      } catch (IllegalStateException alreadyClosed) {
        // the caller's call was cancelled first; nobody is listening any more
      }
    }

    @Override
    public void onReady() {
      synchronized (lock) {
        if (callerWaitsForService) {
          callerWaitsForService = false;
          serverCall.request(1);
        }
      }
    }
  }
}
