package dev.divergence.local;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
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

  static synchronized void ensureInstalled() throws IOException, InterruptedException {
    if (Files.isExecutable(BROWSER) && Files.isExecutable(DRIVER)) {
      return;
    }
    List<String> installChromium = List.of("apt-get", "install", "-y", "--no-install-recommends", "chromium", "chromium-driver");
    for (int attempt = 1; attempt <= 3 && install(installChromium) != 0; attempt++) {
      // another apt run may hold the dpkg lock for a while, and a fresh machine may have no package lists yet
      Thread.sleep(10_000L * attempt);
      install(List.of("apt-get", "update"));
    }
    if (!Files.isExecutable(BROWSER) || !Files.isExecutable(DRIVER)) {
      throw new IllegalStateException("browser tests need Debian's chromium and chromium-driver (" + BROWSER + ", " + DRIVER
          + "); installing them with apt-get failed: install them as root and run again");
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

  private static int install(List<String> command) throws IOException, InterruptedException {
    Process process = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(Path.of("target", "apt-chromium.log").toFile())).start();
    if (!process.waitFor(10, TimeUnit.MINUTES)) {
      process.destroyForcibly();
      return -1;
    }
    return process.exitValue();
  }
}
