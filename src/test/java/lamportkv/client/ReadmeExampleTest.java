package lamportkv.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import lamportkv.testing.LocalCluster;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's library example, taken from the README itself (the Java block after the marker),
 * compiled against this build and run against a real 3-replica cluster: the example users copy
 * compiles, runs, and prints what its comments say.
 */
class ReadmeExampleTest {
    static final String MARKER = "<!-- compiled and run by ReadmeExampleTest -->";

    @Test
    void theReadmesExampleCompilesAndRuns(@TempDir Path dir) throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        int at = readme.indexOf(MARKER);
        assertThat(at).as("the marker in README.md").isPositive();
        int start = readme.indexOf("```java\n", at) + "```java\n".length();
        String source = readme.substring(start, readme.indexOf("```", start));
        Path src = dir.resolve("Example.java");
        Files.writeString(src, source);

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int status = javac.run(null, null, diagnostics, "-d", dir.toString(),
                "-cp", System.getProperty("java.class.path"), "-Xlint:all", "-Werror", src.toString());
        assertThat(status).as(diagnostics.toString(StandardCharsets.UTF_8)).isZero();

        try (LocalCluster cluster = LocalCluster.start(3, dir.resolve("cluster"));
             URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
            Method main = loader.loadClass("Example").getMethod("main", String[].class);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            PrintStream saved = System.out;
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            try {
                main.invoke(null, (Object) new String[] {cluster.configFile().toString()});
            } finally {
                System.setOut(saved);
            }
            List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
            assertThat(lines).hasSize(5);
            assertThat(lines.get(0)).isEqualTo("hello, counter 1");
            assertThat(lines.get(1)).isEqualTo("I lead");
            assertThat(lines.get(2)).matches("changed: \\d+ config/color blue");
            assertThat(lines.get(3)).matches("holding jobs, token \\d+");
            assertThat(lines.get(4)).isEqualTo("refused everywhere: not a number: greeting");
        }
        assertThat(new File(dir.toFile(), "Example.class")).exists();
    }
}
