package dev.divergence.training.runner.kubernetes;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.env.Environment;
import org.springframework.core.env.SimpleCommandLinePropertySource;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.springframework.util.StringUtils;

/**
 * Worker mode: the service started with {@code --divergence.training.worker.job-id=<uuid>} (or
 * {@code DIVERGENCE_TRAINING_WORKER_JOB_ID}) runs exactly that job and exits: 0 when it SUCCEEDED
 * or was CANCELLED (or was not there to run), 1 when it FAILED, 2 when the attempt was handed on.
 *
 * <p>A worker starts neither the HTTP nor the gRPC server, nor any runner: nothing calls it (its
 * liveness is its database heartbeat, its result the process exit and the job row), so it opens no
 * ports and starts faster.
 */
public final class WorkerMode {

  public static final String JOB_ID_PROPERTY = "divergence.training.worker.job-id";

  private WorkerMode() {}

  /** Whether these arguments, system properties or environment variables ask for worker mode. */
  public static boolean requested(String[] args) {
    StandardEnvironment environment = new StandardEnvironment();
    environment.getPropertySources().addFirst(new SimpleCommandLinePropertySource(args));
    return active(environment);
  }

  /** Runs the worker-mode application to the end of its job and returns the process exit code. */
  public static int run(Class<?> application, String... args) {
    SpringApplication app = new SpringApplication(application);
    app.setWebApplicationType(WebApplicationType.NONE);
    String[] withoutGrpc = new String[args.length + 1];
    System.arraycopy(args, 0, withoutGrpc, 0, args.length);
    withoutGrpc[args.length] = "--divergence.grpc.port=-1";
    ConfigurableApplicationContext context = app.run(withoutGrpc);
    return SpringApplication.exit(context);
  }

  static boolean active(Environment environment) {
    return StringUtils.hasText(environment.getProperty(JOB_ID_PROPERTY));
  }

  /** Beans of worker mode. */
  public static final class Active implements Condition {
    @Override
    public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
      return active(context.getEnvironment());
    }
  }

  /** Beans that must not run in worker mode: the runners. */
  public static final class Inactive implements Condition {
    @Override
    public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
      return !active(context.getEnvironment());
    }
  }
}
