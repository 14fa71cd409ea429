package lamportkv.web;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import lamportkv.client.Attempts;
import lamportkv.rmi.Reply;
import lamportkv.web.JsonModel.ErrorJson;
import lamportkv.web.JsonModel.OpRequest;
import lamportkv.web.JsonModel.OpResult;
import lamportkv.web.JsonModel.SwitchRequest;
import lamportkv.web.JsonModel.SwitchResult;
import lamportkv.web.JsonModel.TickRequest;
import lamportkv.web.JsonModel.TickResult;
import org.tinylog.Logger;

/**
 * The dashboard's HTTP face on the JDK's server: the page, the JSON API, the event stream and the
 * metrics. Every error is one line of JSON ({@code {"error": "..."}}) with a 4xx or 5xx status,
 * and a refused request changes nothing.
 *
 * <p>The API has no login: it listens only on the replica's configured host, like the RMI port.
 * So that another web site open in the same browser cannot drive it, a POST must carry JSON
 * ({@code Content-Type: application/json}, which a plain cross-site form cannot send) and, if
 * the browser names an {@code Origin}, come from this dashboard's own.
 */
final class DashboardServer implements AutoCloseable {
    /** A set value is at most 64 KiB; its JSON, escaped, fits in this. */
    static final int MAX_BODY_BYTES = 512 * 1024;
    private static final Map<String, String> STATIC_FILES = Map.of(
            "/", "index.html", "/index.html", "index.html", "/dashboard.css", "dashboard.css",
            "/dashboard.js", "dashboard.js", "/favicon.svg", "favicon.svg");
    private static final Map<String, String> CONTENT_TYPES = Map.of(
            "html", "text/html; charset=utf-8", "css", "text/css; charset=utf-8",
            "js", "text/javascript; charset=utf-8", "svg", "image/svg+xml");
    private static final String CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:;"
            + " style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none';"
            + " form-action 'none'";

    private final Dashboard dashboard;
    private final ObjectMapper json;
    private final HttpServer server;
    private final ExecutorService executor;

    private DashboardServer(Dashboard dashboard, ObjectMapper json, HttpServer server, ExecutorService executor) {
        this.dashboard = dashboard;
        this.json = json;
        this.server = server;
        this.executor = executor;
    }

    static DashboardServer start(Dashboard dashboard, ObjectMapper json, InetAddress host, int port) throws IOException {
        HttpServer server;
        try {
            server = HttpServer.create(new InetSocketAddress(host, port), 64);
        } catch (java.net.BindException e) {
            throw new IOException("cannot serve the dashboard on " + host.getHostAddress() + ":" + port + ": "
                    + e.getMessage() + " (is another program using that port? see http." + dashboard.id()
                    + " in the configuration)");
        }
        AtomicInteger threads = new AtomicInteger();
        // Event streams hold a thread each (at most EventStream.MAX_SUBSCRIBERS); the rest serve requests.
        ThreadPoolExecutor executor = new ThreadPoolExecutor(EventStream.MAX_SUBSCRIBERS + 8,
                EventStream.MAX_SUBSCRIBERS + 8, 60, TimeUnit.SECONDS, new LinkedBlockingQueue<>(256), r -> {
                    Thread t = new Thread(r, "dashboard-" + dashboard.id() + "-http-" + threads.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.AbortPolicy());
        executor.allowCoreThreadTimeOut(true);
        server.setExecutor(executor);
        DashboardServer s = new DashboardServer(dashboard, json, server, executor);
        server.createContext("/", s::handle);
        server.start();
        return s;
    }

    private void handle(HttpExchange exchange) {
        try (exchange) {
            exchange.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
            exchange.getResponseHeaders().set("Referrer-Policy", "no-referrer");
            try {
                route(exchange);
            } catch (ApiException e) {
                sendJson(exchange, e.status(), new ErrorJson(e.getMessage()));
            } catch (IOException e) {
                // The client went away mid-answer.
            } catch (RuntimeException e) {
                Logger.tag("replica " + dashboard.id()).error(e, "dashboard: {} {} failed", exchange.getRequestMethod(),
                        exchange.getRequestURI());
                sendJson(exchange, 500, new ErrorJson("internal error: " + e));
            }
        } catch (IOException | RuntimeException e) {
            // Nothing more can be said to this client.
        }
    }

    private void route(HttpExchange exchange) throws IOException, ApiException {
        URI uri = exchange.getRequestURI();
        String path = uri.getPath();
        if (STATIC_FILES.containsKey(path)) {
            requireMethod(exchange, "GET");
            serveStatic(exchange, STATIC_FILES.get(path));
            return;
        }
        switch (path) {
            case "/api/status" -> {
                requireMethod(exchange, "GET");
                sendJson(exchange, 200, dashboard.status());
            }
            case "/api/cluster" -> {
                requireMethod(exchange, "GET");
                sendJson(exchange, 200, dashboard.cluster());
            }
            case "/api/events" -> {
                requireMethod(exchange, "GET");
                dashboard.events().serve(exchange);
            }
            case "/metrics" -> {
                requireMethod(exchange, "GET");
                ByteArrayOutputStream text = new ByteArrayOutputStream();
                dashboard.writeMetrics(text);
                send(exchange, 200, Metrics.contentType(), text.toByteArray());
            }
            case "/api/tick" -> {
                TickRequest r = body(exchange, TickRequest.class);
                int id = required(r.replica(), "replica");
                sendJson(exchange, 200, new TickResult(id, dashboard.controls().tick(id)));
            }
            case "/api/op" -> {
                OpRequest r = body(exchange, OpRequest.class);
                sendJson(exchange, 200, runOperation(r));
            }
            case "/api/auto-tick", "/api/slow-motion" -> {
                SwitchRequest r = body(exchange, SwitchRequest.class);
                boolean on = required(r.on(), "on");
                Switches.Kind kind = path.equals("/api/auto-tick") ? Switches.Kind.AUTO_TICK : Switches.Kind.SLOW_MOTION;
                Map<String, String> outcome = dashboard.switches().set(kind, on, Boolean.TRUE.equals(r.local()));
                sendJson(exchange, 200, new SwitchResult(on, outcome));
            }
            default -> throw new ApiException(404, "no such page or endpoint: " + shorten(path)
                    + " (the API: GET /api/status, /api/cluster, /api/events, /metrics;"
                    + " POST /api/tick, /api/op, /api/auto-tick, /api/slow-motion)");
        }
    }

    private OpResult runOperation(OpRequest r) throws ApiException {
        int id = required(r.replica(), "replica");
        String op = required(r.op(), "op").strip().toLowerCase(Locale.ROOT);
        // The fields in OpRequest's order, so that an error names the first one that is wrong.
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("key", r.key());
        fields.put("value", r.value());
        fields.put("expected", r.expected());
        fields.put("name", r.name());
        fields.put("ttl", r.ttl());
        fields.put("wait", r.waitFor());       // wait() is Object's
        fields.put("token", r.token());
        List<String> words = Controls.words(op, fields);
        Controls.Ran ran = dashboard.controls().run(id, words);
        Reply reply = ran.reply();
        return switch (reply.status()) {
            case OK, FAILED -> new OpResult(id, String.join(" ", words), reply.status().name(), reply.text());
            // Input the page did not check (a limit): every replica would refuse it.
            case REFUSED -> throw new ApiException(400, reply.text() + ran.attempts().verdictWords(""));
            // This replica did not take it; the page does not move on to another replica by itself.
            case UNAVAILABLE -> throw new ApiException(503, reply.text() + ran.attempts().verdictWords("; not applied"));
            case ABANDONED -> throw new ApiException(503, reply.text() + Attempts.MAY_STILL_BE_APPLIED);
            case NOT_APPLIED -> throw new ApiException(504, reply.text() + ran.attempts().verdictWords("; not applied"));
            case TIMEOUT -> throw new ApiException(504, reply.text() + Attempts.MAY_STILL_BE_APPLIED);
        };
    }

    private static <T> T required(T value, String field) throws ApiException {
        if (value == null) {
            throw ApiException.badRequest("missing \"" + field + "\"");
        }
        return value;
    }

    private static void requireMethod(HttpExchange exchange, String method) throws ApiException {
        if (!exchange.getRequestMethod().equals(method)) {
            exchange.getResponseHeaders().set("Allow", method);
            throw new ApiException(405, exchange.getRequestMethod() + " " + exchange.getRequestURI().getPath()
                    + " is not allowed; use " + method);
        }
    }

    /** Reads a POST's JSON body as {@code type}, refusing anything a cross-site page could send. */
    private <T> T body(HttpExchange exchange, Class<T> type) throws IOException, ApiException {
        requireMethod(exchange, "POST");
        String contentType = exchange.getRequestHeaders().getFirst("Content-Type");
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("application/json")) {
            throw new ApiException(415, "send the body as JSON (Content-Type: application/json)");
        }
        String origin = exchange.getRequestHeaders().getFirst("Origin");
        String host = exchange.getRequestHeaders().getFirst("Host");
        if (origin != null && !origin.equals("http://" + host)) {
            throw new ApiException(403, "refused a request from another site (" + shorten(origin) + ")");
        }
        byte[] bytes;
        try (InputStream in = exchange.getRequestBody()) {
            bytes = in.readNBytes(MAX_BODY_BYTES + 1);
        }
        if (bytes.length > MAX_BODY_BYTES) {
            throw new ApiException(413, "the body is over " + MAX_BODY_BYTES + " bytes");
        }
        if (new String(bytes, StandardCharsets.UTF_8).isBlank()) {
            throw ApiException.badRequest("empty body: expected a JSON object");
        }
        try {
            T value = json.readValue(bytes, type);
            if (value == null) {
                throw ApiException.badRequest("expected a JSON object, got null");
            }
            return value;
        } catch (UnrecognizedPropertyException e) {
            throw ApiException.badRequest("unknown field \"" + shorten(e.getPropertyName()) + "\" (expected: "
                    + e.getKnownPropertyIds().stream().map(String::valueOf).sorted().collect(Collectors.joining(", "))
                    + ")");
        } catch (MismatchedInputException e) {
            String field = e.getPath().stream().map(JsonMappingException.Reference::getFieldName)
                    .filter(f -> f != null).collect(Collectors.joining("."));
            throw ApiException.badRequest(field.isEmpty() ? "expected a JSON object"
                    : "bad value for \"" + field + "\": expected " + describe(e.getTargetType()));
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("the body is not valid JSON: " + e.getOriginalMessage().lines().findFirst()
                    .orElse(""));
        }
    }

    private static String describe(Class<?> type) {
        if (type == Integer.class || type == int.class) {
            return "a whole number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        return type == String.class ? "a string" : type.getSimpleName();
    }

    private static String shorten(String s) {
        return EventRecorder.shorten(s);
    }

    private void serveStatic(HttpExchange exchange, String name) throws IOException, ApiException {
        byte[] bytes;
        try (InputStream in = DashboardServer.class.getResourceAsStream("/lamportkv/web/static/" + name)) {
            if (in == null) {
                throw new ApiException(404, "no such file: " + name);
            }
            bytes = in.readAllBytes();
        }
        String extension = name.substring(name.lastIndexOf('.') + 1);
        exchange.getResponseHeaders().set("Cache-Control", "no-cache");
        if (extension.equals("html")) {
            exchange.getResponseHeaders().set("Content-Security-Policy", CONTENT_SECURITY_POLICY);
        }
        send(exchange, 200, CONTENT_TYPES.get(extension), bytes);
    }

    private void sendJson(HttpExchange exchange, int status, Object value) throws IOException {
        exchange.getResponseHeaders().set("Cache-Control", "no-store");
        send(exchange, status, "application/json; charset=utf-8", json.writeValueAsBytes(value));
    }

    private static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        exchange.getResponseHeaders().set("Content-Type", contentType);
        boolean head = exchange.getRequestMethod().equals("HEAD");
        exchange.sendResponseHeaders(status, head ? -1 : body.length == 0 ? -1 : body.length);
        if (!head) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
