package lamportkv.process;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code run-cluster.sh} as a new user runs it, with dashboards configured. */
class RunClusterIT {
    @TempDir
    Path dir;

    @Test
    @Timeout(120)
    @DisplayName("run-cluster.sh prints each replica's dashboard address, the page answers there, and the shell runs")
    void printsTheDashboards() throws Exception {
        Path bin = ProcessCluster.scriptsBesideThisBuild(dir);
        StringBuilder config = new StringBuilder("data.dir=data\n");
        for (int id = 1; id <= 3; id++) {
            config.append("replica.").append(id).append("=127.0.0.1:").append(ProcessCluster.freePort()).append('\n')
                    .append("http.").append(id).append('=').append(ProcessCluster.freePort()).append('\n');
        }
        Path file = dir.resolve("replicas.properties");
        Files.writeString(file, config);

        Process cluster = new ProcessBuilder("bash", bin.resolve("run-cluster.sh").toString(), "--config", file.toString())
                .redirectOutput(dir.resolve("shell.out").toFile()).start();
        try {
            // The addresses come on stderr once every replica answers; the shell then waits on stdin.
            CompletableFuture<List<String>> addresses = new CompletableFuture<>();
            Thread reader = new Thread(() -> {
                List<String> urls = new ArrayList<>();
                Pattern line = Pattern.compile("dashboard of replica ([0-9]+): (http://127\\.0\\.0\\.1:[0-9]+/)");
                try (BufferedReader err = new BufferedReader(
                        new InputStreamReader(cluster.getErrorStream(), StandardCharsets.UTF_8))) {
                    for (String l = err.readLine(); l != null; l = err.readLine()) {     // to the end: never block the script
                        Matcher m = line.matcher(l);
                        if (m.matches() && Integer.parseInt(m.group(1)) == urls.size() + 1) {
                            urls.add(m.group(2));
                            if (urls.size() == 3) {
                                addresses.complete(urls);
                            }
                        }
                    }
                } catch (IOException e) {
                    addresses.completeExceptionally(e);
                }
                addresses.completeExceptionally(new AssertionError("run-cluster.sh printed " + urls));
            });
            reader.setDaemon(true);
            reader.start();
            List<String> urls = addresses.get(90, TimeUnit.SECONDS);
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            for (int id = 1; id <= 3; id++) {
                String url = urls.get(id - 1);
                assertThat(url).endsWith(":" + port(file, id) + "/");
                HttpResponse<String> status = http.send(HttpRequest.newBuilder(URI.create(url + "api/status")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(status.statusCode()).isEqualTo(200);
                assertThat(status.body()).contains("\"id\":" + id + ",");
                assertThat(http.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString())
                        .body()).contains("<title>lamportkv dashboard</title>");
            }
            try (OutputStream shell = cluster.getOutputStream()) {
                shell.write("set x 1\nget x\n".getBytes(StandardCharsets.UTF_8));
            }
            assertThat(cluster.waitFor(60, TimeUnit.SECONDS)).as("the cluster stops when the shell ends").isTrue();
            assertThat(cluster.exitValue()).isZero();
            assertThat(Files.readAllLines(dir.resolve("shell.out"))).containsExactly("OK", "1");
        } finally {
            cluster.destroy();
            cluster.waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static int port(Path config, int id) throws Exception {
        return Files.readAllLines(config).stream().filter(l -> l.startsWith("http." + id + "="))
                .mapToInt(l -> Integer.parseInt(l.substring(l.indexOf('=') + 1))).findFirst().orElseThrow();
    }
}
