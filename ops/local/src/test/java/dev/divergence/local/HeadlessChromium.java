package dev.divergence.local;

import dev.divergence.platform.test.tools.DebianPackages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's Chromium and its chromedriver for browser tests, installed from Debian's packages when the
 * machine has none (as the machine's root), so a fresh machine with only a JDK runs the tests too.
 * Started headless with the flags a machine without outside network needs (no background
 * networking, no component updates) and a fresh profile.
 */
final class HeadlessChromium {

  static final Path BROWSER = Path.of("/usr/bin/chromium");
  static final Path DRIVER = Path.of("/usr/bin/chromedriver");

  private HeadlessChromium() {}

  static synchronized void ensureInstalled() {
    if (Files.isExecutable(BROWSER) && Files.isExecutable(DRIVER)) {
      return;
    }
    StringBuilder log = new StringBuilder();
    DebianPackages.install(log, "chromium", "chromium-driver");
    if (!Files.isExecutable(BROWSER) || !Files.isExecutable(DRIVER)) {
      throw new IllegalStateException("browser tests need Debian's chromium and chromium-driver (" + BROWSER + ", " + DRIVER
          + "); installing them with apt-get failed: install them as root and run again\n" + log);
    }
  }

  static ChromeDriver start(Path profile) throws IOException {
    Files.createDirectories(profile);
    ChromeOptions options = new ChromeOptions();
    options.setBinary(BROWSER.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-quic", "--window-size=1366,900", "--user-data-dir=" + profile.toAbsolutePath());
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
        .usingAnyFreePort().build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60)).scriptTimeout(Duration.ofSeconds(30));
    return driver;
  }
}
