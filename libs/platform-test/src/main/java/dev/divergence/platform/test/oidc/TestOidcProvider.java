package dev.divergence.platform.test.oidc;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPrivateKey;
import java.security.interfaces.RSAPublicKey;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.startup.Tomcat;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.Order;
import org.springframework.http.MediaType;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.config.annotation.web.configuration.EnableWebSecurity;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.core.userdetails.UserDetailsService;
import org.springframework.security.oauth2.core.AuthorizationGrantType;
import org.springframework.security.oauth2.core.ClientAuthenticationMethod;
import org.springframework.security.oauth2.core.oidc.OidcScopes;
import org.springframework.security.oauth2.jwt.JwtDecoder;
import org.springframework.security.oauth2.jwt.NimbusJwtDecoder;
import org.springframework.security.oauth2.server.authorization.client.InMemoryRegisteredClientRepository;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClient;
import org.springframework.security.oauth2.server.authorization.client.RegisteredClientRepository;
import org.springframework.security.oauth2.server.authorization.settings.AuthorizationServerSettings;
import org.springframework.security.oauth2.server.authorization.settings.ClientSettings;
import org.springframework.security.oauth2.server.authorization.token.JwtEncodingContext;
import org.springframework.security.oauth2.server.authorization.token.OAuth2TokenCustomizer;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.security.web.authentication.LoginUrlAuthenticationEntryPoint;
import org.springframework.security.web.util.matcher.MediaTypeRequestMatcher;
import org.springframework.web.context.support.AnnotationConfigWebApplicationContext;
import org.springframework.web.filter.DelegatingFilterProxy;
import org.springframework.web.servlet.DispatcherServlet;

/**
 * A real OIDC provider for tests, the outer edge of the platform: Spring Authorization Server on an
 * embedded Tomcat, with one confidential client (authorization code; the provider requires PKCE), users
 * signing in on its own login form ({@code /login}: username, password), and ID and access tokens
 * carrying each user's extra claims (tenant, tenants, roles). It serves discovery, a JWK set, the
 * token and user-info endpoints like any provider. Its issuer is {@code http://localhost:<port>}: a
 * browser keeps its cookies apart from a gateway reached at {@code 127.0.0.1} (cookies ignore the
 * port), and the session cookie has its own name besides. Redirect URIs are registered on the
 * loopback address {@code 127.0.0.1} without a port: the provider accepts any port there (RFC 8252),
 * so a gateway on a random port can be the client.
 *
 * <p>{@link #stop()} makes it unreachable (connections refused) and {@link #restart()} brings it back
 * on the same port with the same keys, so tests can take the provider down and up again.
 */
public final class TestOidcProvider implements AutoCloseable {

  /** A user who can sign in on the provider's form, and the extra claims its tokens carry. */
  public record Account(String username, String password, Map<String, Object> claims) {}

  private final String clientId;
  private final String clientSecret;
  private final List<String> redirectPaths;
  private final List<Account> accounts;
  private final RSAKey key;
  private final Path baseDir;
  private int port;
  private Tomcat tomcat;
  private AnnotationConfigWebApplicationContext spring;

  private TestOidcProvider(String clientId, String clientSecret, List<String> redirectPaths, List<Account> accounts) {
    this.clientId = clientId;
    this.clientSecret = clientSecret;
    this.redirectPaths = List.copyOf(redirectPaths);
    this.accounts = List.copyOf(accounts);
    this.key = rsaKey();
    try {
      this.baseDir = Files.createTempDirectory("test-oidc-provider");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Starts a provider on a free port.
   *
   * @param redirectPaths the client's redirect paths, each registered at {@code http://127.0.0.1}
   *     (any port), e.g. {@code /ui/oauth2/code/oidc}
   */
  public static TestOidcProvider start(String clientId, String clientSecret, List<String> redirectPaths, List<Account> accounts) {
    TestOidcProvider provider = new TestOidcProvider(clientId, clientSecret, redirectPaths, accounts);
    provider.startOn(0);
    return provider;
  }

  /** {@code http://localhost:<port>}: discovery is at {@code /.well-known/openid-configuration} under it. */
  public String issuer() {
    return "http://localhost:" + port;
  }

  public int port() {
    return port;
  }

  public String clientId() {
    return clientId;
  }

  public String clientSecret() {
    return clientSecret;
  }

  /** Takes the provider down: its port refuses connections until {@link #restart()}. */
  public synchronized void stop() {
    if (tomcat == null) {
      return;
    }
    try {
      tomcat.stop();
      tomcat.destroy();
    } catch (LifecycleException e) {
      throw new IllegalStateException(e);
    } finally {
      spring.close();
      tomcat = null;
      spring = null;
    }
  }

  /** Brings a stopped provider back on the same port, with the same keys, client and accounts. */
  public synchronized void restart() {
    if (tomcat == null) {
      startOn(port);
    }
  }

  @Override
  public void close() {
    stop();
  }

  private synchronized void startOn(int requestedPort) {
    AnnotationConfigWebApplicationContext context = new AnnotationConfigWebApplicationContext();
    context.addBeanFactoryPostProcessor(beans -> beans.registerSingleton("testOidcProvider", this));
    context.register(ProviderConfiguration.class);
    Tomcat server = new Tomcat();
    server.setBaseDir(baseDir.toString());
    server.setHostname("localhost");
    server.setPort(requestedPort);
    server.getConnector().setProperty("address", "127.0.0.1");
    Context root = server.addContext("", baseDir.toString());
    root.setSessionCookieName("TESTOIDCSESSION");
    root.addServletContainerInitializer((classes, servletContext) -> {
      context.setServletContext(servletContext);
      context.refresh();
      var dispatcher = servletContext.addServlet("dispatcher", new DispatcherServlet(context));
      dispatcher.setLoadOnStartup(1);
      dispatcher.addMapping("/");
      servletContext.addFilter("springSecurityFilterChain", new DelegatingFilterProxy("springSecurityFilterChain", context))
          .addMappingForUrlPatterns(null, false, "/*");
    }, null);
    try {
      server.start();
    } catch (LifecycleException e) {
      throw new IllegalStateException("the test OIDC provider did not start", e);
    }
    this.tomcat = server;
    this.spring = context;
    this.port = server.getConnector().getLocalPort();
  }

  private static RSAKey rsaKey() {
    try {
      KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
      generator.initialize(2048);
      var pair = generator.generateKeyPair();
      return new RSAKey.Builder((RSAPublicKey) pair.getPublic()).privateKey((RSAPrivateKey) pair.getPrivate())
          .keyID(UUID.randomUUID().toString()).build();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Spring Authorization Server's OIDC endpoints, and a form login for the users. */
  @Configuration(proxyBeanMethods = false)
  @EnableWebSecurity
  static class ProviderConfiguration {

    @Bean
    @Order(1)
    SecurityFilterChain authorizationServer(HttpSecurity http) throws Exception {
      http.oauth2AuthorizationServer(server -> {
            http.securityMatcher(server.getEndpointsMatcher());
            server.oidc(Customizer.withDefaults());
          })
          .authorizeHttpRequests(requests -> requests.anyRequest().authenticated())
          // a browser that is not signed in yet goes to the login form
          .exceptionHandling(errors -> errors.defaultAuthenticationEntryPointFor(
              new LoginUrlAuthenticationEntryPoint("/login"), new MediaTypeRequestMatcher(MediaType.TEXT_HTML)));
      return http.build();
    }

    @Bean
    @Order(2)
    SecurityFilterChain signIn(HttpSecurity http) throws Exception {
      http.authorizeHttpRequests(requests -> requests.anyRequest().authenticated()).formLogin(Customizer.withDefaults());
      return http.build();
    }

    @Bean
    RegisteredClientRepository clients(TestOidcProvider provider) {
      RegisteredClient.Builder client = RegisteredClient.withId(UUID.randomUUID().toString())
          .clientId(provider.clientId)
          .clientSecret("{noop}" + provider.clientSecret)
          .clientAuthenticationMethod(ClientAuthenticationMethod.CLIENT_SECRET_BASIC)
          .authorizationGrantType(AuthorizationGrantType.AUTHORIZATION_CODE)
          .scope(OidcScopes.OPENID)
          .scope(OidcScopes.PROFILE)
          .clientSettings(ClientSettings.builder().requireAuthorizationConsent(false).build());
      provider.redirectPaths.forEach(path -> client.redirectUri("http://127.0.0.1" + path));
      return new InMemoryRegisteredClientRepository(client.build());
    }

    @Bean
    UserDetailsService users(TestOidcProvider provider) {
      return new InMemoryUserDetailsManager(provider.accounts.stream()
          .map(account -> User.withUsername(account.username()).password("{noop}" + account.password()).roles("USER").build())
          .toList());
    }

    /** Every token of a user (ID and access) carries that user's extra claims. */
    @Bean
    OAuth2TokenCustomizer<JwtEncodingContext> claims(TestOidcProvider provider) {
      return context -> provider.accounts.stream()
          .filter(account -> account.username().equals(context.getPrincipal().getName()))
          .findFirst()
          .ifPresent(account -> account.claims().forEach((name, value) -> context.getClaims().claim(name, value)));
    }

    @Bean
    JWKSource<SecurityContext> keys(TestOidcProvider provider) {
      return new ImmutableJWKSet<>(new JWKSet(provider.key));
    }

    @Bean
    JwtDecoder jwtDecoder(TestOidcProvider provider) throws com.nimbusds.jose.JOSEException {
      return NimbusJwtDecoder.withPublicKey(provider.key.toRSAPublicKey()).build();
    }

    @Bean
    AuthorizationServerSettings settings() {
      return AuthorizationServerSettings.builder().build();
    }
  }
}
