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

    public static boolean isReady(String baseUrl) {
        return answers200(baseUrl + "/actuator/health/readiness");
    }

    public static boolean isLive(String baseUrl) {
        return answers200(baseUrl + "/actuator/health/liveness");
    }

    private static boolean answers200(String url) {
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(2)).GET().build();
            return CLIENT.send(request, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception e) {
            return false;
        }
    }
}
