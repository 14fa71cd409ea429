package lamportkv.web;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lamportkv.rmi.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The dashboard's HTTP API against a real 3-replica cluster: what /api/status, /api/cluster,
 * /api/events and /metrics say after known operations, the controls, and one-line 4xx errors
 * for bad input that change nothing.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardApiTest {
    @TempDir
    static Path dir;
    static DashboardCluster cluster;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static final ObjectMapper json = new ObjectMapper();

    @BeforeAll
    static void start() {
        cluster = DashboardCluster.start(3, dir);
        // Known operations: set at replica 2, add at replica 3, a read at replica 1, a tick at replica 1.
        assertThat(cluster.run(2, "set", "x", "5")).isEqualTo(new Reply(Reply.Status.OK, "OK"));
        assertThat(cluster.run(3, "add", "x", "2")).isEqualTo(new Reply(Reply.Status.OK, "7"));
        assertThat(cluster.run(1, "get", "x")).isEqualTo(new Reply(Reply.Status.OK, "7"));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    record Answer(int status, String contentType, String body) {
        JsonNode json() throws Exception {
            return DashboardApiTest.json.readTree(body);
        }
    }

    static Answer get(int replica, String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(cluster.url(replica, path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
    }

    static Answer post(int replica, String path, String body) throws Exception {
        return post(replica, path, body, "application/json", null);
    }

    static Answer post(int replica, String path, String body, String contentType, String origin) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(cluster.url(replica, path))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", contentType);
        if (origin != null) {
            b.header("Origin", origin);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Answer(r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
    }

    /** Asks until {@code ok} holds (APPLYs may still be on their way), at most 10 s. */
    static JsonNode until(int replica, String path, Predicate<JsonNode> ok) throws Exception {
        JsonNode last = null;
        for (int i = 0; i < 100; i++) {
            last = get(replica, path).json();
            if (ok.test(last)) {
                return last;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("never held: " + last);
    }

    @Test
    @Order(1)
    @DisplayName("/api/status: this replica's clock, applied count, digest, data and peers after known operations")
    void status() throws Exception {
        JsonNode s = until(1, "/api/status", n -> n.at("/replica/applied").asLong() == 3);
        JsonNode r = s.get("replica");
        assertThat(r.get("id").asInt()).isEqualTo(1);
        assertThat(r.get("reachable").asBoolean()).isTrue();
        assertThat(r.get("clock").asLong()).isGreaterThanOrEqualTo(15);   // 3 operations, 2 messages in, 1 out each
        assertThat(r.get("executed").asLong()).isEqualTo(1);             // the get
        assertThat(r.get("bufferLength").asInt()).isZero();
        assertThat(r.get("digest").asText()).matches("[0-9a-f]{16}");
        assertThat(r.get("keyCount").asInt()).isEqualTo(1);
        assertThat(r.get("peers")).hasSize(2);
        assertThat(r.get("peers").findValuesAsText("reachable")).containsOnly("true");
        assertThat(r.get("slowMotion").asLong()).isZero();
        assertThat(r.get("autoTick").asBoolean()).isFalse();
        // Before the view protocol fills it: view 0, every configured replica, working.
        assertThat(r.at("/view/number").asLong()).isZero();
        assertThat(r.at("/view/members")).extracting(JsonNode::asInt).containsExactly(1, 2, 3);
        assertThat(r.at("/view/condition").asText()).isEmpty();
        assertThat(r.at("/view/changes").asLong()).isZero();
        assertThat(s.at("/data/entries/0/key").asText()).isEqualTo("x");
        assertThat(s.at("/data/entries/0/value").asText()).isEqualTo("7");
    }

    @Test
    @Order(2)
    @DisplayName("/api/cluster: every replica reached with equal digests; each send matches its receive by (from, to, link)")
    void cluster() throws Exception {
        JsonNode c = until(1, "/api/cluster", n -> {
            for (JsonNode r : n.get("replicas")) {
                if (r.get("applied").asLong() != 3) {
                    return false;
                }
            }
            return true;
        });
        assertThat(c.get("self").asInt()).isEqualTo(1);
        assertThat(c.get("replicas")).hasSize(3);
        assertThat(c.get("replicas").findValuesAsText("reachable")).containsOnly("true");
        assertThat(c.get("replicas").findValuesAsText("digest")).hasSize(3).containsOnly(
                c.at("/replicas/0/digest").asText());
        assertThat(c.get("replicas").findValuesAsText("dashboard"))
                .allMatch(u -> u.matches("http://127\\.0\\.0\\.1:[0-9]+/"));
        assertThat(c.get("data")).hasSize(3);

        // The add at replica 3: stamped there, REQUEST to 1 and 2, their OKs, executed, APPLY to both.
        List<JsonNode> add = new ArrayList<>();
        String request = null;
        for (JsonNode e : c.get("events")) {
            if (e.get("kind").asText().equals("send") && e.get("message").asText().equals("REQUEST")
                    && e.get("op").asText().equals("add x 2")) {
                request = e.get("request").asText();
            }
        }
        assertThat(request).as("the add's REQUEST").isNotNull().endsWith(".3");
        for (JsonNode e : c.get("events")) {
            if (e.get("request").asText().equals(request)) {
                add.add(e);
            }
        }
        Map<String, JsonNode> receives = new HashMap<>();
        for (JsonNode e : add) {
            if (e.get("kind").asText().equals("receive")) {
                receives.put(e.get("peer").asInt() + ">" + e.get("replica").asInt() + "#" + e.get("link").asLong(), e);
            }
        }
        List<String> arrows = new ArrayList<>();
        for (JsonNode s : add) {
            if (s.get("kind").asText().equals("send")) {
                JsonNode r = receives.get(s.get("replica").asInt() + ">" + s.get("peer").asInt() + "#" + s.get("link").asLong());
                assertThat(r).as("the receive of %s", s).isNotNull();
                assertThat(r.get("message").asText()).isEqualTo(s.get("message").asText());
                // Lamport's rule: the receive is stamped above the send.
                assertThat(r.get("clock").asLong()).isGreaterThan(s.get("clock").asLong());
                arrows.add(s.get("message").asText() + " " + s.get("replica").asInt() + "->" + s.get("peer").asInt());
            }
        }
        assertThat(arrows).containsExactlyInAnyOrder("REQUEST 3->1", "REQUEST 3->2", "OK 1->3", "OK 2->3",
                "APPLY 3->1", "APPLY 3->2");
        assertThat(add).filteredOn(e -> e.get("kind").asText().equals("execute"))
                .singleElement().satisfies(e -> {
                    assertThat(e.get("replica").asInt()).isEqualTo(3);
                    assertThat(e.get("result").asText()).isEqualTo("7");
                });
        assertThat(add).filteredOn(e -> e.get("kind").asText().equals("apply"))
                .extracting(e -> e.get("replica").asInt()).containsExactlyInAnyOrder(1, 2);
        // The REQUEST to each peer is one send event: one stamp, the request's own.
        assertThat(add).filteredOn(e -> e.get("kind").asText().equals("send") && e.get("message").asText().equals("REQUEST"))
                .extracting(e -> e.get("clock").asLong()).containsOnly(Long.parseLong(request.split("\\.")[0]));
    }

    @Test
    @Order(3)
    @DisplayName("/metrics: Prometheus text with operations by kind and result, latency, links, forces, clock, peers, view")
    void metrics() throws Exception {
        Answer m = get(3, "/metrics");
        assertThat(m.status()).isEqualTo(200);
        assertThat(m.contentType()).startsWith("text/plain");
        String text = m.body();
        assertThat(metric(text, "lamportkv_operations_total{kind=\"add\",result=\"ok\"}")).isEqualTo(1);
        assertThat(metric(text, "lamportkv_operations_total{kind=\"set\",result=\"ok\"}")).isZero();
        assertThat(metric(text, "lamportkv_operation_duration_seconds_count{kind=\"add\"}")).isEqualTo(1);
        assertThat(text).contains("lamportkv_operation_duration_seconds_bucket{kind=\"add\",le=\"0.05\"}");
        // Replica 3 sent REQUEST and APPLY for its add to each peer, and OK for each other request.
        assertThat(metric(text, "lamportkv_link_messages_total{direction=\"sent\",peer=\"1\",type=\"REQUEST\"}")).isEqualTo(1);
        assertThat(metric(text, "lamportkv_link_messages_total{direction=\"sent\",peer=\"1\",type=\"APPLY\"}")).isEqualTo(1);
        assertThat(metric(text, "lamportkv_link_messages_total{direction=\"received\",peer=\"1\",type=\"OK\"}")).isEqualTo(1);
        assertThat(metric(text, "lamportkv_link_messages_total{direction=\"sent\",peer=\"2\",type=\"OK\"}")).isEqualTo(1);
        assertThat(metric(text, "lamportkv_link_received_bytes_total{peer=\"1\"}")).isPositive();
        assertThat(metric(text, "lamportkv_disk_force_duration_seconds_count")).isGreaterThanOrEqualTo(3);
        assertThat(metric(text, "lamportkv_peer_reachable{peer=\"1\"}")).isEqualTo(1);
        assertThat(metric(text, "lamportkv_peer_reachable{peer=\"2\"}")).isEqualTo(1);
        assertThat(metric(text, "lamportkv_buffer_length")).isZero();
        assertThat(metric(text, "lamportkv_applied_operations")).isEqualTo(3);
        // The view as status gives it: before the view protocol fills it, view 0 of the three replicas.
        assertThat(metric(text, "lamportkv_view_number")).isZero();
        assertThat(metric(text, "lamportkv_view_members")).isEqualTo(3);
        assertThat(metric(text, "lamportkv_view_changes_total")).isZero();
        assertThat(text).contains("# TYPE lamportkv_view_changes_total counter");
        JsonNode status = get(3, "/api/status").json();
        assertThat(metric(text, "lamportkv_lamport_clock")).isEqualTo(status.at("/replica/clock").asDouble());
    }

    private static double metric(String text, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(text);
        assertThat(m.find()).as("%s in%n%s", series, text).isTrue();
        return Double.parseDouble(m.group(1));
    }

    @Test
    @Order(4)
    @DisplayName("POST /api/tick and /api/op act on the chosen replica, through the replicas' client service")
    void controls() throws Exception {
        long before = get(2, "/api/status").json().at("/replica/clock").asLong();
        Answer tick = post(1, "/api/tick", "{\"replica\":2}");
        assertThat(tick.status()).isEqualTo(200);
        assertThat(tick.json().get("clock").asLong()).isEqualTo(before + 1);

        Answer op = post(1, "/api/op", "{\"replica\":3,\"op\":\"mult\",\"key\":\"x\",\"value\":\"3\"}");
        assertThat(op.status()).isEqualTo(200);
        assertThat(op.body()).isEqualTo("{\"replica\":3,\"command\":\"mult x 3\",\"status\":\"OK\",\"result\":\"21\"}");
        // Ordered and applied everywhere, failing everywhere: an answer, not an input error.
        Answer failed = post(1, "/api/op", "{\"replica\":2,\"op\":\"add\",\"key\":\"nokey\",\"value\":\"1\"}");
        assertThat(failed.status()).isEqualTo(200);
        assertThat(failed.json().get("status").asText()).isEqualTo("FAILED");
        assertThat(failed.json().get("result").asText()).isEqualTo("no such key: nokey");
        JsonNode get = post(1, "/api/op", "{\"replica\":1,\"op\":\"get\",\"key\":\"x\"}").json();
        assertThat(get.get("result").asText()).isEqualTo("21");
    }

    @ParameterizedTest(name = "{0} {1} -> {3}")
    @Order(5)
    @DisplayName("bad input: a one-line JSON error with a 4xx status, and nothing changes")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "/api/op | {\"replica\":1,\"op\":\"add\",\"key\":\"x\",\"value\":\"two\"} | application/json | 400 | not a number: two",
        "/api/op | {\"replica\":9,\"op\":\"add\",\"key\":\"x\",\"value\":\"1\"} | application/json | 400 | no replica 9 (replicas: 1, 2, 3)",
        "/api/op | {\"replica\":1,\"op\":\"incr\",\"key\":\"x\"} | application/json | 400 | unknown operation \"incr\" (expected one of set, add, mult, get, del, cas, rev, lock, renew, unlock)",
        "/api/op | {\"replica\":1,\"op\":\"set\",\"key\":\"x\"} | application/json | 400 | missing \"value\": set needs one",
        "/api/op | {\"replica\":1,\"op\":\"get\",\"key\":\"x\",\"value\":\"1\"} | application/json | 400 | get takes no value (got \"1\"); it takes key",
        "/api/op | {\"replica\":1,\"op\":\"cas\",\"key\":\"x\",\"value\":\"1\"} | application/json | 400 | missing \"expected\": cas needs one (what the key holds now, (nil) if nothing)",
        "/api/op | {\"replica\":1,\"op\":\"lock\",\"key\":\"leader\",\"ttl\":\"30\"} | application/json | 400 | lock takes no key (got \"leader\"); it takes name, ttl, [wait]",
        "/api/op | {\"replica\":1,\"op\":\"lock\",\"name\":\"leader\"} | application/json | 400 | missing \"ttl\": lock needs one (the lease, in seconds)",
        "/api/op | {\"replica\":1,\"op\":\"lock\",\"name\":\"leader\",\"ttl\":\"0\"} | application/json | 400 | bad TTL: 0 (more than 0 and at most 86400 seconds",
        "/api/op | {\"replica\":1,\"op\":\"unlock\",\"name\":\"leader\",\"token\":\"abc\"} | application/json | 400 | bad token: abc (the number lock printed)",
        "/api/op | {\"replica\":1,\"op\":\"renew\",\"name\":\"leader\"} | application/json | 400 | missing \"token\": renew needs one (the number lock printed)",
        "/api/op | {\"replica\":1,\"op\":\"set\",\"key\":\"a b\",\"value\":\"1\"} | application/json | 400 | bad key: a b (no whitespace or control characters)",
        "/api/op | {\"op\":\"get\",\"key\":\"x\"} | application/json | 400 | missing \"replica\"",
        "/api/op | {\"replica\":\"two\",\"op\":\"get\",\"key\":\"x\"} | application/json | 400 | bad value for \"replica\": expected a whole number",
        "/api/op | {\"replica\":1.5,\"op\":\"get\",\"key\":\"x\"} | application/json | 400 | bad value for \"replica\": expected a whole number",
        "/api/op | {\"replica\":1,\"op\":\"get\",\"key\":\"x\",\"extra\":1} | application/json | 400 | unknown field \"extra\" (expected: expected, key, name, op, replica, token, ttl, value, wait)",
        "/api/op | {\"replica\":1, | application/json | 400 | the body is not valid JSON",
        "/api/op | `` | application/json | 400 | empty body: expected a JSON object",
        "/api/op | [1,2] | application/json | 400 | expected a JSON object",
        "/api/op | {\"replica\":1,\"op\":\"get\",\"key\":\"x\"} | text/plain | 415 | send the body as JSON (Content-Type: application/json)",
        "/api/tick | {\"replica\":0} | application/json | 400 | no replica 0 (replicas: 1, 2, 3)",
        "/api/tick | {} | application/json | 400 | missing \"replica\"",
        "/api/slow-motion | {\"on\":\"yes\"} | application/json | 400 | bad value for \"on\": expected true or false",
        "/api/auto-tick | {} | application/json | 400 | missing \"on\"",
        "/api/nothing | {} | application/json | 404 | no such page or endpoint: /api/nothing",
    })
    void badInput(String path, String body, String contentType, int status, String error) throws Exception {
        JsonNode before = settled();
        Answer a = post(1, path, body, contentType, null);
        assertThat(a.status()).isEqualTo(status);
        assertThat(a.contentType()).startsWith("application/json");
        assertThat(a.body()).doesNotContain("\n");
        assertThat(a.json().get("error").asText()).startsWith(error);
        assertThat(a.json().size()).isEqualTo(1);
        assertThat(settled()).as("nothing changed").isEqualTo(before);
    }

    /** Every replica's clock and applied count once they agree on applied. */
    private static JsonNode settled() throws Exception {
        return until(1, "/api/cluster", n -> n.findValuesAsText("applied").stream().distinct().count() == 1)
                .get("replicas").findValues("clock").stream().map(JsonNode::asLong)
                .collect(json::createArrayNode, (arr, v) -> arr.add(v), (x, y) -> x.addAll(y));
    }

    @Test
    @Order(6)
    @DisplayName("refused too: a POST from another site, a GET on a POST endpoint, a body over the limit")
    void refusals() throws Exception {
        Answer cross = post(1, "/api/tick", "{\"replica\":1}", "application/json", "http://evil.example");
        assertThat(cross.status()).isEqualTo(403);
        assertThat(cross.json().get("error").asText()).isEqualTo("refused a request from another site (http://evil.example)");
        Answer get = get(1, "/api/op");
        assertThat(get.status()).isEqualTo(405);
        assertThat(get.json().get("error").asText()).isEqualTo("GET /api/op is not allowed; use POST");
        Answer post = post(1, "/api/status", "{}");
        assertThat(post.status()).isEqualTo(405);
        Answer big = post(1, "/api/op", "{\"replica\":1,\"op\":\"set\",\"key\":\"k\",\"value\":\""
                + "v".repeat(DashboardServer.MAX_BODY_BYTES) + "\"}");
        assertThat(big.status()).isEqualTo(413);
        // The page's own origin is fine.
        String self = cluster.url(1, "").toString();
        Answer same = post(1, "/api/tick", "{\"replica\":1}", "application/json", self.substring(0, self.length()));
        assertThat(same.status()).isEqualTo(200);
    }

    @Test
    @Order(7)
    @DisplayName("/api/events: the whole picture first, then updates carrying new events")
    void events() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(cluster.url(2, "/api/events")).GET().build();
        HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
        try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            JsonNode first = nextMessage(in, "cluster");
            assertThat(first.get("self").asInt()).isEqualTo(2);
            assertThat(first.get("replicas")).hasSize(3);
            assertThat(first.get("events").size()).isPositive();
            cluster.run(1, "set", "sse", "1");
            for (int i = 0; i < 50; i++) {
                JsonNode update = nextMessage(in, "update");
                for (JsonNode e : update.get("events")) {
                    if (e.get("op").asText().equals("set sse 1") && e.get("kind").asText().equals("execute")) {
                        return;
                    }
                }
            }
            throw new AssertionError("no update carried the execution of set sse 1");
        }
    }

    private static JsonNode nextMessage(BufferedReader in, String event) throws Exception {
        String name = "";
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (line.startsWith("event: ")) {
                name = line.substring(7);
            } else if (line.startsWith("data: ") && name.equals(event)) {
                return json.readTree(line.substring(6));
            }
        }
        throw new AssertionError("the stream ended");
    }

    @Test
    @Order(8)
    @DisplayName("slow motion on every replica from one page: each batch waits 1.5 s, so an operation takes 3 s,"
            + " and one that arrives meanwhile is queued unstamped; then off")
    void slowMotion() throws Exception {
        Answer on = post(2, "/api/slow-motion", "{\"on\":true}");
        assertThat(on.status()).isEqualTo(200);
        assertThat(on.body()).isEqualTo("{\"on\":true,\"replicas\":{\"1\":\"on\",\"2\":\"on\",\"3\":\"on\"}}");
        for (int id : cluster.ids()) {
            assertThat(get(id, "/api/status").json().at("/replica/slowMotion").asLong())
                    .isEqualTo(Switches.SLOW_MOTION_MILLIS);
        }
        long started = System.nanoTime();
        CompletableFuture<Reply> set = CompletableFuture.supplyAsync(() -> cluster.run(1, "set", "slow", "1"));
        // While its REQUESTs are held, the request waits in its origin's buffer without OKs, and
        // then in the peers' buffers, not released.
        JsonNode origin = until(1, "/api/status", n -> n.at("/replica/bufferLength").asInt() == 1).at("/replica/buffer/0");
        assertThat(origin.get("origin").asInt()).isEqualTo(1);
        assertThat(origin.get("op").asText()).isEqualTo("set slow 1");
        assertThat(origin.get("oks").asInt()).isZero();
        assertThat(origin.get("oksNeeded").asInt()).isEqualTo(2);
        JsonNode peer = until(2, "/api/status", n -> n.at("/replica/bufferLength").asInt() == 1).at("/replica/buffer/0");
        assertThat(peer.get("ts").asLong()).isEqualTo(origin.get("ts").asLong());
        assertThat(peer.get("oksNeeded").asInt()).isZero();
        assertThat(peer.get("released").asBoolean()).isFalse();
        // An operation arriving at replica 1 meanwhile waits unstamped behind replica 1's own request.
        CompletableFuture<Reply> second = CompletableFuture.supplyAsync(() -> cluster.run(1, "add", "slow", "1"));
        JsonNode queued = until(2, "/api/cluster", n -> n.at("/replicas/0/unstamped").asInt() == 1).at("/replicas/0");
        assertThat(queued.get("bufferLength").asInt()).isEqualTo(1);
        assertThat(set.get().ok()).isTrue();
        // REQUEST in, OK back: two delayed deliveries before the origin can execute.
        assertThat(Duration.ofNanos(System.nanoTime() - started)).isGreaterThanOrEqualTo(Duration.ofMillis(2 * 1_450));
        assertThat(second.get().text()).isEqualTo("2");
        assertThat(get(1, "/api/status").json().at("/replica/unstamped").asInt()).isZero();
        Answer off = post(3, "/api/slow-motion", "{\"on\":false}");
        assertThat(off.json().get("replicas").findValuesAsText("1")).containsExactly("off");
        for (int id : cluster.ids()) {
            assertThat(get(id, "/api/status").json().at("/replica/slowMotion").asLong()).isZero();
        }
    }

    @Test
    @Order(9)
    @DisplayName("automatic internal events: switched on every replica from one page, each ticks within 10 s, and off again")
    void autoTick() throws Exception {
        long since = System.currentTimeMillis();
        Answer on = post(1, "/api/auto-tick", "{\"on\":true}");
        assertThat(on.body()).isEqualTo("{\"on\":true,\"replicas\":{\"1\":\"on\",\"2\":\"on\",\"3\":\"on\"}}");
        JsonNode c = until(1, "/api/cluster", n -> n.get("replicas").findValuesAsText("autoTick").stream()
                .allMatch("true"::equals));
        assertThat(c.at("/switches/autoTick").asBoolean()).isTrue();
        // Nothing else runs meanwhile: each replica's first tick comes 3 to 10 s after the switch.
        Set<Integer> ticked = new TreeSet<>();
        for (long deadline = System.nanoTime() + 12_000_000_000L; ticked.size() < 3 && System.nanoTime() < deadline; ) {
            for (JsonNode e : get(1, "/api/cluster").json().get("events")) {
                if (e.get("kind").asText().equals("tick") && e.get("time").asLong() >= since) {
                    assertThat(e.get("time").asLong() - since).isGreaterThanOrEqualTo(Switches.AUTO_TICK_MIN_MILLIS - 100);
                    ticked.add(e.get("replica").asInt());
                }
            }
            Thread.sleep(250);
        }
        assertThat(ticked).as("replicas that ticked on their own").containsExactly(1, 2, 3);
        post(1, "/api/auto-tick", "{\"on\":false}");
        until(1, "/api/cluster", n -> n.get("replicas").findValuesAsText("autoTick").stream().allMatch("false"::equals));
    }

    /** Runs an operation through {@code POST /api/op} at {@code replica}; its result, which must be OK. */
    static String op(int replica, String fields) throws Exception {
        Answer a = post(1, "/api/op", "{\"replica\":" + replica + "," + fields + "}");
        assertThat(a.status()).as(a.body()).isEqualTo(200);
        assertThat(a.json().get("status").asText()).as(a.body()).isEqualTo("OK");
        return a.json().get("result").asText();
    }

    /** {@code /api/cluster} from replica 1 once every replica's lock table shows {@code ok}. */
    static JsonNode locksEverywhere(Predicate<JsonNode> ok) throws Exception {
        return until(1, "/api/cluster", n -> {
            for (JsonNode r : n.get("replicas")) {
                if (!ok.test(r)) {
                    return false;
                }
            }
            return true;
        });
    }

    @Test
    @Order(10)
    @DisplayName("cas, rev, lock, renew and unlock through /api/op; /api/cluster shows the held lock on every replica,"
            + " with its token, lease and queue, until it is unlocked")
    void coordination() throws Exception {
        // cas stores only over what it expects, (nil) meaning absent; the op names its words.
        Answer first = post(1, "/api/op", "{\"replica\":1,\"op\":\"cas\",\"key\":\"c\",\"expected\":\"(nil)\",\"value\":\"1\"}");
        assertThat(first.body()).isEqualTo("{\"replica\":1,\"command\":\"cas c (nil) 1\",\"status\":\"OK\",\"result\":\"1\"}");
        assertThat(op(2, "\"op\":\"cas\",\"key\":\"c\",\"expected\":\"(nil)\",\"value\":\"2\"")).isEqualTo("0");
        assertThat(op(3, "\"op\":\"cas\",\"key\":\"c\",\"expected\":\"1\",\"value\":\"3\"")).isEqualTo("1");
        assertThat(op(1, "\"op\":\"get\",\"key\":\"c\"")).isEqualTo("3");
        // rev KEY: the revision of c's last change, the second cas; rev alone: its own, three operations on.
        long changed = Long.parseLong(op(2, "\"op\":\"rev\",\"key\":\"c\""));
        assertThat(Long.parseLong(op(2, "\"op\":\"rev\""))).isEqualTo(changed + 3);

        long before = System.currentTimeMillis();
        String granted = op(2, "\"op\":\"lock\",\"name\":\"leader\",\"ttl\":\"60\"");
        assertThat(granted).matches("granted [0-9]+");
        long token = Long.parseLong(granted.substring("granted ".length()));
        // A second request, from another replica (numbers as JSON numbers too): in line behind it, a later token.
        String queued = op(3, "\"op\":\"lock\",\"name\":\"leader\",\"ttl\":60,\"wait\":90");
        assertThat(queued).matches("queued [0-9]+");
        long next = Long.parseLong(queued.substring("queued ".length()));
        assertThat(next).isGreaterThan(token);
        long after = System.currentTimeMillis();

        JsonNode held = locksEverywhere(r -> r.at("/locks/0/waiting").asInt() == 1);
        for (JsonNode r : held.get("replicas")) {
            assertThat(r.get("lockCount").asInt()).as("replica %s", r.get("id")).isEqualTo(1);
            assertThat(r.get("locks")).hasSize(1);
            JsonNode lock = r.at("/locks/0");
            assertThat(lock.get("name").asText()).isEqualTo("leader");
            assertThat(lock.get("token").asLong()).isEqualTo(token);
            // The lease ends 60 s after the grant, in the order's time (the replicas' clocks, here this machine's).
            assertThat(lock.get("expiresAt").asLong()).isBetween(before + 60_000 - 2_000, after + 60_000 + 2_000);
        }
        // Every replica's lock table is the same: the lease ends at the same moment everywhere.
        assertThat(held.get("replicas").findValuesAsText("expiresAt")).hasSize(3).containsOnly(
                held.at("/replicas/0/locks/0/expiresAt").asText());
        assertThat(get(3, "/api/status").json().at("/replica/locks/0/token").asLong()).isEqualTo(token);

        long lease = held.at("/replicas/0/locks/0/expiresAt").asLong();
        Thread.sleep(20);        // the order's time moves on, so the renewed lease ends later
        assertThat(op(1, "\"op\":\"renew\",\"name\":\"leader\",\"token\":\"" + token + "\"")).isEqualTo("1");
        assertThat(op(1, "\"op\":\"renew\",\"name\":\"leader\",\"token\":\"" + (next + 1) + "\"")).isEqualTo("0");
        locksEverywhere(r -> r.at("/locks/0/expiresAt").asLong() > lease);

        // The waiter leaves the line, then the holder lets go: no lock anywhere, and a second unlock does nothing.
        assertThat(op(3, "\"op\":\"unlock\",\"name\":\"leader\",\"token\":" + next)).isEqualTo("1");
        locksEverywhere(r -> r.at("/locks/0/waiting").asInt() == 0 && r.at("/locks/0/token").asLong() == token);
        assertThat(op(2, "\"op\":\"unlock\",\"name\":\"leader\",\"token\":\"" + token + "\"")).isEqualTo("1");
        assertThat(op(2, "\"op\":\"unlock\",\"name\":\"leader\",\"token\":\"" + token + "\"")).isEqualTo("0");
        JsonNode none = locksEverywhere(r -> r.get("lockCount").asInt() == 0);
        assertThat(none.get("replicas").findValues("locks")).hasSize(3).allSatisfy(l -> assertThat(l).isEmpty());
    }

    @Test
    @Order(11)
    @DisplayName("the page and its files are served from the jar, with a content security policy")
    void page() throws Exception {
        Answer page = get(1, "/");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.contentType()).startsWith("text/html");
        // Nothing is fetched from elsewhere: every src and href is the dashboard's own.
        assertThat(page.body()).contains("<script src=\"dashboard.js\" defer></script>")
                .doesNotContainPattern("(src|href)=\"(https?:)?//");
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(cluster.url(1, "/")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.headers().firstValue("Content-Security-Policy").orElse("")).contains("default-src 'self'");
        for (String file : List.of("/dashboard.js", "/dashboard.css", "/favicon.svg")) {
            Answer a = get(1, file);
            assertThat(a.status()).as(file).isEqualTo(200);
            assertThat(a.body()).as(file).doesNotContain("https://", "//cdn", "import(");
        }
    }

    @Test
    @Order(12)
    @DisplayName("the dashboard listens on its replica's host only (127.0.0.1 here), not on every address")
    void listensOnTheReplicasHostOnly() throws Exception {
        int port = cluster.url(1, "/").getPort();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2_000);
        }
        try (Socket s = new Socket()) {
            assertThatThrownBy(() -> s.connect(new InetSocketAddress("127.0.0.2", port), 2_000))
                    .isInstanceOf(ConnectException.class);
        }
    }

    @Test
    @Order(13)
    @DisplayName("a view event reported at replica 2 reaches /api/cluster and every page's stream, one event of kind view")
    void viewEvent() throws Exception {
        HttpRequest request = HttpRequest.newBuilder(cluster.url(1, "/api/events")).GET().build();
        HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            nextMessage(in, "cluster");
            cluster.viewEvent(2, 5, List.of(1, 2, 3), "member of view 5 (1 2 3)");
            JsonNode streamed = null;
            for (int i = 0; i < 50 && streamed == null; i++) {
                for (JsonNode e : nextMessage(in, "update").get("events")) {
                    if (e.get("kind").asText().equals("view") && e.get("view").asLong() == 5) {
                        streamed = e;
                    }
                }
            }
            assertThat(streamed).as("an update carried the view event").isNotNull();
            assertThat(streamed.get("replica").asInt()).isEqualTo(2);
            assertThat(streamed.get("view").asLong()).isEqualTo(5);
            assertThat(streamed.get("members")).extracting(JsonNode::asInt).containsExactly(1, 2, 3);
            assertThat(streamed.get("op").asText()).isEqualTo("member of view 5 (1 2 3)");
            assertThat(streamed.get("request").asText()).isEmpty();
        }
        JsonNode c = until(3, "/api/cluster", n -> n.get("events").findValuesAsText("op").contains("member of view 5 (1 2 3)"));
        List<JsonNode> views = new ArrayList<>();
        c.get("events").forEach(e -> {
            // The replicas' own view events are there too (each became a member of view 0 at its start).
            if (e.get("kind").asText().equals("view") && e.get("view").asLong() == 5) {
                views.add(e);
            }
        });
        assertThat(views).singleElement().satisfies(e -> {
            assertThat(e.get("replica").asInt()).isEqualTo(2);
            assertThat(e.get("op").asText()).isEqualTo("member of view 5 (1 2 3)");
        });
    }

    @Test
    @Order(14)
    @DisplayName("a stopped replica: /api/cluster says it is unreachable and why, the others still answer")
    void stoppedReplica() throws Exception {
        cluster.stop(3);
        JsonNode c = until(1, "/api/cluster", n -> !n.at("/replicas/2/reachable").asBoolean());
        assertThat(c.at("/replicas/2/error").asText()).isNotEmpty();
        assertThat(c.at("/replicas/2/unreachableSince").asLong()).isPositive();
        assertThat(c.at("/replicas/0/reachable").asBoolean()).isTrue();
        Answer tick = post(1, "/api/tick", "{\"replica\":3}");
        assertThat(tick.status()).isEqualTo(503);
        assertThat(tick.json().get("error").asText()).startsWith("replica 3 at 127.0.0.1:").contains("is unreachable");
        cluster.start(3);
        until(1, "/api/cluster", n -> n.at("/replicas/2/reachable").asBoolean());
    }
}
