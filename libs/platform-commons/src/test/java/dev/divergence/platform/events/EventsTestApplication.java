package dev.divergence.platform.events;

import org.springframework.boot.autoconfigure.SpringBootApplication;

/** The smallest service: platform-commons' auto-configuration on a real database and broker. */
@SpringBootApplication
class EventsTestApplication {}
