package dev.divergence.local.service;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Spring Boot actuator probes: ready means GET /actuator/health/readiness answers 200. */
public final class HttpHealth {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();

    private HttpHealth() {
    }

    /** Polled while starting: a short timeout, the next poll comes soon. */
    private static final Duration POLL_TIMEOUT = Duration.ofSeconds(2);

    public static boolean isReady(String baseUrl) {
        return isReady(baseUrl, POLL_TIMEOUT);
    }

    /** A one-off check (./platform status) waits longer: a busy machine answers slowly, not wrongly. */
    public static boolean isReady(String baseUrl, Duration timeout) {
        return answers200(baseUrl + "/actuator/health/readiness", timeout);
    }

    public static boolean isLive(String baseUrl) {
        return answers200(baseUrl + "/actuator/health/liveness", POLL_TIMEOUT);
    }

    private static boolean answers200(String url, Duration timeout) {
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(timeout).GET().build();
            return CLIENT.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception e) {
            return false;
        }
    }
}
