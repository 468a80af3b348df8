package dev.divergence.gateway.grpc;

import io.grpc.ServiceDescriptor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Predicate;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;
import org.springframework.core.type.classreading.CachingMetadataReaderFactory;

/**
 * The gRPC services whose descriptors the gateway has at hand: the classes protoc's gRPC plugin
 * generated from shared-proto ({@code *Grpc} under {@code dev.divergence.proto}), which reach the
 * gateway through platform-commons. Their descriptors give server reflection of the routed APIs and
 * each method's streaming kind; the forwarding itself needs none of them (it moves bytes), so a
 * service newer than the gateway's copy of the protos is still reachable, only not reflected.
 */
final class RoutedApis {

  private static final String GENERATED = "classpath*:dev/divergence/proto/**/*Grpc.class";

  private RoutedApis() {}

  /** Every generated service descriptor whose full service name {@code routed} accepts, by name. */
  static List<ServiceDescriptor> find(Predicate<String> routed) {
    PathMatchingResourcePatternResolver resolver = new PathMatchingResourcePatternResolver(RoutedApis.class.getClassLoader());
    CachingMetadataReaderFactory readers = new CachingMetadataReaderFactory(resolver);
    List<ServiceDescriptor> found = new ArrayList<>();
    try {
      for (Resource resource : resolver.getResources(GENERATED)) {
        String className = readers.getMetadataReader(resource).getClassMetadata().getClassName();
        ServiceDescriptor descriptor = descriptorOf(className);
        if (descriptor != null && routed.test(descriptor.getName())) {
          found.add(descriptor);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the generated gRPC services on the classpath", e);
    }
    found.sort(Comparator.comparing(ServiceDescriptor::getName));
    return found;
  }

  private static ServiceDescriptor descriptorOf(String className) {
    try {
      Class<?> generated = Class.forName(className, false, RoutedApis.class.getClassLoader());
      return (ServiceDescriptor) generated.getMethod("getServiceDescriptor").invoke(null);
    } catch (NoSuchMethodException | ClassCastException e) {
      return null; // a class that merely ends in "Grpc"
    } catch (ClassNotFoundException | IllegalAccessException | InvocationTargetException e) {
      throw new IllegalStateException("cannot read the service descriptor of " + className, e);
    }
  }
}
