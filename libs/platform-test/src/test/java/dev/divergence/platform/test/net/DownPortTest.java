package dev.divergence.platform.test.net;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.BindException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Test;

class DownPortTest {

  @Test
  void refusesConnectionsAndCannotBeTakenUntilReleased() throws Exception {
    try (DownPort down = DownPort.reserve()) {
      InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), down.port());
      assertThatThrownBy(() -> {
        try (Socket client = new Socket()) {
          client.connect(address, 2000);
        }
      }).isInstanceOf(ConnectException.class);
      assertThatThrownBy(() -> {
        try (ServerSocket server = new ServerSocket()) {
          server.setReuseAddress(true);
          server.bind(address);
        }
      }).isInstanceOf(BindException.class);

      down.close();
      try (ServerSocket server = new ServerSocket()) {
        server.setReuseAddress(true);
        server.bind(address);
      }
    }
  }
}
