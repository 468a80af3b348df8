package dev.divergence.platform.test.net;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * A loopback port that refuses connections and that nothing else can take until it is released: a
 * service that is down. A port merely found free and closed again can be handed to the next server
 * that binds port 0 (another test's, in the same JVM), which then answers in the down service's place;
 * this one is held by a bound socket that never listens, so connecting to it is refused.
 */
public final class DownPort implements AutoCloseable {

  private final Socket holder;
  private final int port;

  private DownPort(Socket holder) {
    this.holder = holder;
    this.port = holder.getLocalPort();
  }

  public static DownPort reserve() {
    try {
      Socket holder = new Socket();
      // without SO_REUSEADDR no server can bind the port while it is held
      holder.setReuseAddress(false);
      holder.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      return new DownPort(holder);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return port;
  }

  /** Frees the port, for a server of the test's own to bind it (the service comes back). */
  @Override
  public void close() {
    try {
      holder.close();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
