package lamportkv.process;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import lamportkv.process.DockerEngine.Result;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The project's {@code Dockerfile} and {@code docker-compose.yml} under a real Docker engine,
 * run the way the README tells a user without Docker Hub: {@code deploy/docker/base-image.sh}
 * (a JRE base image from Debian's packages, made once and kept by name), then {@code docker
 * compose up --build -d} with {@code LAMPORTKV_TARGET=packaged} (the jar this build made). On a
 * project name of its own and free host ports, it waits for the health checks, runs operations
 * on every replica through {@code docker compose exec}, reads the dashboard's
 * {@code /api/cluster} from the host, {@code docker kill}s one container and sees the other two
 * install a view and keep answering, starts it again and sees it rejoin with equal hashes; then
 * {@code docker compose down -v} and checks that no container, network or volume is left.
 *
 * <p>Skipped, saying why, where Docker cannot run ({@link DockerEngine#start}).
 */
class DockerComposeIT {
    private static final int REPLICAS = 3;
    private static final Duration BUILD = Duration.ofMinutes(10);
    private static final Duration CLIENT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final String project = "lamportkv-it-" + ProcessHandle.current().pid();
    private final Map<String, String> env = new LinkedHashMap<>();
    private DockerEngine docker;

    @Test
    @Timeout(1200)
    void composeClusterServesSurvivesAKillAndRejoins() throws Exception {
        long started = System.nanoTime();
        Path testClasses = Path.of(DockerComposeIT.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Path jar = testClasses.getParent().resolve("lamportkv.jar");
        Path packagedJar = ProcessCluster.ROOT.resolve("target/lamportkv.jar");
        Assumptions.assumeTrue(Files.isRegularFile(packagedJar) && Files.isSameFile(jar, packagedJar),
                () -> "Docker test skipped: the Dockerfile's packaged target copies target/lamportkv.jar, and this build"
                        + " made " + jar + " (run it without -Dbuild.dir)");

        try (DockerEngine engine = DockerEngine.start(testClasses.getParent().resolve("docker-it"))) {
            docker = engine;
            String base = "lamportkv-base:" + debianRelease();
            long t = System.nanoTime();
            must(DockerEngine.run(BUILD, Map.of(), "deploy/docker/base-image.sh", base), "deploy/docker/base-image.sh");
            System.out.printf("base image %s ready in %.1f s%n", base, seconds(t));

            env.put("LAMPORTKV_RUNTIME_IMAGE", base);
            env.put("LAMPORTKV_TARGET", "packaged");
            env.put("LAMPORTKV_IMAGE", project + ":latest");
            List<Integer> ports = freePorts(REPLICAS);
            for (int id = 1; id <= REPLICAS; id++) {
                env.put("LAMPORTKV_HTTP_" + id, String.valueOf(ports.get(id - 1)));
            }
            System.out.println(engine.composeName() + " -p " + project + " with " + env);
            try {
                t = System.nanoTime();
                must(compose(BUILD, "up", "--build", "-d"), "up --build -d");
                awaitHealthy();
                System.out.printf("three healthy replicas %.1f s after up%n", seconds(t));
                exerciseCluster(ports.get(0));
            } finally {
                Result logs = compose(Duration.ofSeconds(60), "logs", "--no-color", "--tail", "40");
                System.out.println("---- docker compose logs ----\n" + logs.output());
                Result down = compose(Duration.ofMinutes(3), "down", "-v", "--rmi", "all", "--timeout", "30");
                System.out.println("---- down ----\n" + down.output());
                must(down, "down -v");
            }
            assertNothingLeft();
            System.out.printf("compose test took %.1f s%n", seconds(started));
        }
    }

    private void exerciseCluster(int dashboardPort) throws Exception {
        // Operations on every replica, each through its own container.
        assertThat(client(1, "set", "x", "0")).isEqualTo("OK");
        assertThat(client(2, "add", "x", "5")).isEqualTo("5");
        assertThat(client(3, "mult", "x", "3")).isEqualTo("15");
        assertThat(client(3, "set", "greeting", "hello")).isEqualTo("OK");
        for (int id = 1; id <= REPLICAS; id++) {
            assertThat(client(id, "get", "x")).as("get x on replica %d", id).isEqualTo("15");
            assertThat(client(id, "keys")).isEqualTo("greeting x");
        }
        String hash = awaitEqualHashes(REPLICAS);

        // The dashboard, from the host, through the published port: every replica reachable, one state.
        JsonNode cluster = dashboard(dashboardPort);
        assertThat(cluster.path("self").asInt()).isEqualTo(1);
        assertThat(cluster.path("replicas")).hasSize(REPLICAS);
        for (JsonNode replica : cluster.path("replicas")) {
            assertThat(replica.path("reachable").asBoolean()).as("%s", replica).isTrue();
            assertThat(replica.path("address").asText()).isEqualTo("replica" + replica.path("id").asInt() + ":7101");
            assertThat("applied=" + replica.path("applied").asLong() + " digest=" + replica.path("digest").asText())
                    .isEqualTo(hash);
            assertThat(replica.path("view").path("members").toString()).isEqualTo("[1,2,3]");
        }

        // A crash: SIGKILL to replica 2's container. The other two install a view without it and serve.
        String two = containerOf(2);
        must(docker.docker(Duration.ofSeconds(30), "kill", two), "docker kill replica2");
        long killed = System.nanoTime();
        assertThat(client(1, "add", "x", "1")).isEqualTo("16");
        System.out.printf("after docker kill of replica 2, an add on replica 1 answered in %.1f s%n", seconds(killed));
        assertThat(client(3, "add", "x", "1")).isEqualTo("17");
        awaitStatus(1, lines -> lines.stream().anyMatch(l -> l.matches("view: +\\d+ \\(members 1 3\\).*")),
                "replica 1 in a view of replicas 1 and 3");
        assertThat(clientVia(1, 2, 5, "hash")).as("replica 2 from replica 1's container").startsWith("error:");
        assertThat(docker.docker(Duration.ofSeconds(20), "inspect", "-f", "{{.State.Running}}", two).stdout().strip())
                .as("the killed container stays down (restart: unless-stopped)").isEqualTo("false");

        // Started again: it recovers from its volume, rejoins, and holds the same data.
        must(compose(Duration.ofMinutes(2), "start", "replica2"), "start replica2");
        awaitStatus(2, lines -> lines.stream().anyMatch(l -> l.matches("view: +\\d+ \\(members 1 2 3\\).*")),
                "replica 2 a member again");
        assertThat(client(2, "get", "x")).isEqualTo("17");
        assertThat(client(2, "add", "x", "1")).isEqualTo("18");
        hash = awaitEqualHashes(REPLICAS);
        assertThat(compose(Duration.ofSeconds(30), "logs", "--no-color", "replica2").output()).contains("recovered in");
        awaitHealthy();
        System.out.println("rejoined; converged on " + hash);
    }

    /** Runs {@code run-client.sh --replica ID COMMAND...} in replica ID's container; it must succeed. */
    private String client(int id, String... command) throws Exception {
        String out = clientVia(id, id, 20, command);
        assertThat(out).as("%s on replica %d", String.join(" ", command), id).doesNotStartWith("error:");
        return out;
    }

    /** A client in replica {@code via}'s container: its output, or "error: ..." with the output when it fails. */
    private String clientVia(int via, int id, int timeoutSeconds, String... command) throws Exception {
        List<String> args = new ArrayList<>(List.of("exec", "-T", "replica" + via, "run-client.sh",
                "--replica", String.valueOf(id), "--timeout", String.valueOf(timeoutSeconds)));
        args.addAll(List.of(command));
        // Its answer is stdout; stderr may also say that it retried elsewhere (a view change), which is fine.
        Result r = compose(CLIENT, args.toArray(String[]::new));
        return r.ok() ? r.stdout().strip() : "error: exit " + r.code() + ": " + r.output().strip();
    }

    private List<String> statusOrError(int id) throws Exception {
        return List.of(clientVia(id, id, 20, "status").split("\n"));
    }

    /**
     * Waits until replica {@code id}'s status satisfies {@code condition}; while it cannot be
     * reached yet (a container just started: nothing listens for a moment) it is asked again.
     */
    private void awaitStatus(int id, Predicate<List<String>> condition, String what) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        List<String> lines = statusOrError(id);
        while (!condition.test(lines)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("waited 60 s for " + what + "; status:\n" + String.join("\n", lines));
            }
            Thread.sleep(500);
            lines = statusOrError(id);
        }
    }

    /** Every replica's {@code hash}, equal; returns it. */
    private String awaitEqualHashes(int replicas) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (true) {
            List<String> hashes = new ArrayList<>();
            for (int id = 1; id <= replicas; id++) {
                hashes.add(client(id, "hash"));
            }
            assertThat(hashes).allMatch(h -> h.matches("applied=[0-9]+ digest=[0-9a-f]+"));
            if (hashes.stream().distinct().count() == 1) {
                return hashes.get(0);
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("replicas did not converge within 60 s: " + hashes);
            }
            Thread.sleep(500);
        }
    }

    /** Waits for Docker's health checks (the compose file's: {@code hash} on each replica) to pass. */
    private void awaitHealthy() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (true) {
            List<String> health = new ArrayList<>();
            for (int id = 1; id <= REPLICAS; id++) {
                Result r = docker.docker(Duration.ofSeconds(20), "inspect", "-f", "{{.State.Health.Status}}", containerOf(id));
                health.add(r.stdout().strip());
            }
            if (health.stream().allMatch("healthy"::equals)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("containers not healthy within 120 s: " + health);
            }
            Thread.sleep(1000);
        }
    }

    private JsonNode dashboard(int port) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/api/cluster"))
                .timeout(Duration.ofSeconds(20)).build();
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }

    private String containerOf(int id) throws Exception {
        Result r = compose(Duration.ofSeconds(30), "ps", "-q", "replica" + id);
        must(r, "ps -q replica" + id);
        String container = r.stdout().strip();
        assertThat(container).as("replica%d's container", id).matches("[0-9a-f]{12,64}");
        return container;
    }

    /** Compose labels what it makes with the project's name: nothing may carry it after down -v. */
    private void assertNothingLeft() throws Exception {
        String label = "label=com.docker.compose.project=" + project;
        for (List<String> list : List.of(List.of("ps", "-a", "-q"), List.of("network", "ls", "-q"), List.of("volume", "ls", "-q"))) {
            List<String> args = new ArrayList<>(list);
            args.addAll(List.of("--filter", label));
            Result r = docker.docker(Duration.ofSeconds(30), args.toArray(String[]::new));
            must(r, String.join(" ", args));
            assertThat(r.stdout().strip()).as("docker %s after down -v", String.join(" ", list)).isEmpty();
        }
        Result image = docker.docker(Duration.ofSeconds(30), "image", "inspect", project + ":latest");
        assertThat(image.ok()).as("the test's image after down --rmi all").isFalse();
    }

    private Result compose(Duration limit, String... args) throws Exception {
        List<String> all = new ArrayList<>(List.of("-p", project));
        all.addAll(List.of(args));
        return docker.compose(limit, env, all.toArray(String[]::new));
    }

    private static void must(Result r, String what) {
        if (!r.ok()) {
            throw new AssertionError(what + " failed (exit " + r.code() + "):\n" + r.output());
        }
    }

    /** This host's Debian release, the one base-image.sh bootstraps (it names the image after it). */
    private static String debianRelease() throws Exception {
        Path osRelease = Path.of("/etc/os-release");
        Assumptions.assumeTrue(Files.isRegularFile(osRelease), "Docker test skipped: no /etc/os-release");
        String codename = Files.readAllLines(osRelease).stream().filter(l -> l.startsWith("VERSION_CODENAME="))
                .map(l -> l.substring("VERSION_CODENAME=".length()).replace("\"", "")).findFirst().orElse("");
        Assumptions.assumeTrue(!codename.isEmpty(), "Docker test skipped: base-image.sh needs a Debian host (VERSION_CODENAME)");
        return codename;
    }

    private static List<Integer> freePorts(int count) throws Exception {
        List<ServerSocket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                sockets.add(new ServerSocket(0));
            }
            return sockets.stream().map(ServerSocket::getLocalPort).toList();
        } finally {
            for (ServerSocket s : sockets) {
                s.close();
            }
        }
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
