package dev.divergence.local.net;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;

/** Whether a TCP port can be bound or is answered by someone. */
public final class PortCheck {

    private PortCheck() {
    }

    /**
     * True when nothing listens on the port. Binds the wildcard address, which on Linux fails whenever
     * any address (loopback or all interfaces) already has a listener on that port.
     */
    public static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true); // a socket in TIME_WAIT from our own last run does not block a restart
            s.bind(new InetSocketAddress(port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** True when something accepts TCP connections on localhost:port. */
    public static boolean isListening(int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("localhost", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** One line explaining a port conflict, with what to do about it. */
    public static String inUseMessage(String label, int port) {
        return "Port " + port + " (" + label + ") is already in use by another program: stop it (see `ss -ltnp 'sport = :"
                + port + "'`) or start with --port-offset N / --port " + label.replace(" HTTP", "").replace(' ', '-').toLowerCase(java.util.Locale.ROOT) + "=PORT.";
    }
}
