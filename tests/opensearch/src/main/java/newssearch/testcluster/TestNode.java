package newssearch.testcluster;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.index.mapper.MapperExtrasPlugin;
import org.opensearch.index.reindex.ReindexPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * One OpenSearch node in this JVM, with the plugins on the classpath loaded as classes.
 *
 * <p>Started by tests/opensearch/cluster, never by hand. It skips the distribution's bootstrap (which refuses to run as
 * root, installs a security manager and runs the production checks); the node itself is the stock one. Arguments are
 * the node's settings as {@code key=value}. SIGTERM closes the node cleanly; SIGKILL is what a test uses to lose one.
 * With {@code -Dnewssearch.owner.pid=PID} the node closes itself when that process ends.
 */
public final class TestNode extends Node {
    private static final List<Class<? extends Plugin>> PLUGINS = List.of(
        Netty4Plugin.class,
        CommonAnalysisPlugin.class,
        MapperExtrasPlugin.class,
        ReindexPlugin.class
    );

    private TestNode(Environment environment) {
        super(environment, PLUGINS, true);
    }

    public static void main(String[] args) throws Exception {
        Settings.Builder builder = Settings.builder();
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (eq < 1) {
                throw new IllegalArgumentException("expected key=value, got [" + arg + "]");
            }
            builder.put(arg.substring(0, eq), arg.substring(eq + 1));
        }
        Settings settings = builder.build();
        // Logging is log4j2.properties on the classpath: LogConfigurator.configureWithoutConfig would replace it with
        // a configuration that has no appender, and the node would log nothing.
        Environment environment = InternalSettingsPreparer.prepareEnvironment(
            settings, Map.of(), null, () -> settings.get("node.name"));
        TestNode node = new TestNode(environment);
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                closed.countDown();
            }
        }, "test-node-shutdown"));
        String owner = System.getProperty("newssearch.owner.pid");
        if (owner != null) { // the process that wants this node: when it ends, so does the node, even after kill -9
            ProcessHandle.of(Long.parseLong(owner)).ifPresentOrElse(
                handle -> handle.onExit().thenRun(() -> System.exit(0)), () -> System.exit(0));
        }
        node.start();
        closed.await();
    }
}
