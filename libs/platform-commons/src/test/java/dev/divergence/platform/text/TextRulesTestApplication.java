package dev.divergence.platform.text;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/** A service with only platform-commons' web conventions and one controller taking text every way. */
@SpringBootApplication
class TextRulesTestApplication {

  /** Counts the requests that reached the controller: a rejected one must not. */
  static final AtomicInteger REACHED = new AtomicInteger();

  record Inner(String name, List<String> tags) {}

  record Payload(String displayName, Inner inner, Map<String, String> labels, Map<String, Object> extra) {}

  @RestController
  static class EchoController {

    @PostMapping("/echo")
    Payload echo(@RequestBody Payload payload) {
      REACHED.incrementAndGet();
      return payload;
    }

    /** Streams the body itself, as the dataset upload and the gateway's proxy do. */
    @PostMapping("/raw")
    Map<String, Integer> raw(jakarta.servlet.http.HttpServletRequest request) throws java.io.IOException {
      REACHED.incrementAndGet();
      return Map.of("bytes", request.getInputStream().readAllBytes().length);
    }

    @GetMapping("/things/{thing}")
    Map<String, String> thing(@PathVariable String thing, @RequestParam(required = false) String filter) {
      REACHED.incrementAndGet();
      return Map.of("thing", thing, "filter", String.valueOf(filter));
    }
  }
}
