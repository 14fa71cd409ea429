package lamportkv.config;

import java.io.IOException;
import java.nio.charset.MalformedInputException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import lamportkv.core.Agreement;

/**
 * The cluster as {@code replicas.properties} describes it:
 *
 * <pre>
 * # replica.&lt;id&gt;=&lt;host&gt;:&lt;port&gt;, one line per replica
 * replica.1=127.0.0.1:7101
 * # replica 1's dashboard, on its host: http://127.0.0.1:8081/ (optional)
 * http.1=8081
 * # replica &lt;id&gt; keeps its files in data/replica-&lt;id&gt;
 * data.dir=data
 * # a member that hears nothing from another this long starts a view change (optional)
 * view.suspect.seconds=2
 * </pre>
 *
 * Lines are {@code key=value}; blank lines and whole lines starting with {@code #} are ignored
 * (a {@code #} after a value is part of the value). Relative
 * paths are relative to the file. Anything else (an unknown key, a duplicate, a bad port or host)
 * is refused with a one-line error naming the file and line: a typo never starts a cluster that
 * silently differs from the one meant.
 */
public final class ClusterConfig {
    public static final String DEFAULT_FILE = "replicas.properties";

    private static final Pattern REPLICA_KEY = Pattern.compile("replica\\.(.*)");
    private static final Pattern HTTP_KEY = Pattern.compile("http\\.(.*)");
    private static final Pattern HOST_PORT = Pattern.compile("(\\[[^\\]]*\\]|[^:\\[\\]]*):(.*)");
    private static final Pattern HOSTNAME = Pattern.compile(
            "(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*");
    private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]+");
    /** Seconds to the millisecond: {@code 2}, {@code 0.5}. */
    private static final Pattern SECONDS = Pattern.compile("([0-9]{1,6})(?:\\.([0-9]{1,3}))?");
    /** The TLS settings, read only with {@code tls.enabled=true}. */
    private static final List<String> TLS_KEYS = List.of("tls.enabled", "tls.keystore", "tls.keystore.password",
            "tls.client.keystore", "tls.client.keystore.password", "tls.truststore", "tls.truststore.password");

    /** Default for {@code snapshot.every}: applied operations between snapshots. */
    public static final long DEFAULT_SNAPSHOT_EVERY = 10_000;
    /** Default for {@code client.expiry.seconds}: how long a client's last result is remembered. */
    public static final long DEFAULT_CLIENT_EXPIRY_SECONDS = 3_600;
    /** Default for {@code view.suspect.seconds}, in milliseconds. */
    public static final long DEFAULT_VIEW_SUSPECT_MILLIS = 2_000;
    /** The longest {@code view.suspect.seconds}: beyond it a frozen replica stalls the cluster for minutes. */
    public static final long MAX_VIEW_SUSPECT_MILLIS = 600_000;

    private final Path file;
    private final SortedMap<Integer, ReplicaAddress> replicas;
    private final Path dataDir;
    private final long snapshotEvery;
    private final long clientExpirySeconds;
    private final long viewSuspectMillis;
    private final Path clusterSecretFile;
    private final Tls tls;
    /** The dashboards' HTTP ports ({@code http.<id>}), by replica id; on each replica's own host. */
    private final SortedMap<Integer, Integer> httpPorts;

    /** Default for {@code cluster.secret.file}, beside the configuration file. */
    public static final String DEFAULT_SECRET_FILE = "cluster.secret";

    /**
     * The TLS settings ({@code tls.enabled=true}): PKCS12 stores, paths absolute. {@code keystore}
     * may contain {@code {id}}, replaced by the replica's id, so one shared file names each
     * replica's own store; {@code clientKeystore} is the client's (null if not configured).
     */
    public record Tls(String keystore, String keystorePassword, Path clientKeystore, String clientKeystorePassword,
                      Path truststore, String truststorePassword) {
        /** Replica {@code id}'s own key store. */
        public Path keystoreOf(int id) {
            return Path.of(keystore.replace("{id}", String.valueOf(id)));
        }

        @Override
        public String toString() {           // never the passwords
            return "Tls[keystore=" + keystore + ", clientKeystore=" + clientKeystore + ", truststore=" + truststore + "]";
        }
    }

    private ClusterConfig(Path file, SortedMap<Integer, ReplicaAddress> replicas, Path dataDir,
                          long snapshotEvery, long clientExpirySeconds, long viewSuspectMillis, Path clusterSecretFile,
                          Tls tls, SortedMap<Integer, Integer> httpPorts) {
        this.file = file;
        this.replicas = Collections.unmodifiableSortedMap(replicas);
        this.dataDir = dataDir;
        this.snapshotEvery = snapshotEvery;
        this.clientExpirySeconds = clientExpirySeconds;
        this.viewSuspectMillis = viewSuspectMillis;
        this.clusterSecretFile = clusterSecretFile;
        this.tls = tls;
        this.httpPorts = Collections.unmodifiableSortedMap(httpPorts);
    }

    /** A configuration made in code (tests, tools); {@code dataDir} as given. */
    public static ClusterConfig of(List<ReplicaAddress> replicas, Path dataDir) {
        SortedMap<Integer, ReplicaAddress> byId = new TreeMap<>();
        for (ReplicaAddress r : replicas) {
            if (byId.put(r.id(), r) != null) {
                throw new IllegalArgumentException("duplicate replica id " + r.id());
            }
        }
        if (byId.isEmpty()) {
            throw new IllegalArgumentException("a cluster has at least one replica");
        }
        return new ClusterConfig(dataDir.resolve(DEFAULT_FILE), byId, dataDir, DEFAULT_SNAPSHOT_EVERY,
                DEFAULT_CLIENT_EXPIRY_SECONDS, DEFAULT_VIEW_SUSPECT_MILLIS, dataDir.resolve(DEFAULT_SECRET_FILE), null,
                new TreeMap<>());
    }

    /** Reads and checks a configuration file. */
    public static ClusterConfig load(Path file) throws ConfigException {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new ConfigException(file + ": no such file (give the cluster's configuration with --config FILE)");
        } catch (MalformedInputException e) {
            throw new ConfigException(file + ": not UTF-8 text");
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage());
        }
        SortedMap<Integer, ReplicaAddress> replicas = new TreeMap<>();
        SortedMap<String, Integer> seenKeys = new TreeMap<>();
        Path base = file.toAbsolutePath().getParent();
        Path dataDir = base.resolve("data");
        long snapshotEvery = DEFAULT_SNAPSHOT_EVERY;
        long clientExpirySeconds = DEFAULT_CLIENT_EXPIRY_SECONDS;
        long viewSuspectMillis = DEFAULT_VIEW_SUSPECT_MILLIS;
        Path secretFile = base.resolve(DEFAULT_SECRET_FILE);
        SortedMap<String, String> tlsSettings = new TreeMap<>();
        SortedMap<Integer, Integer> httpPorts = new TreeMap<>();
        SortedMap<Integer, Integer> httpLines = new TreeMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#") || line.startsWith("!")) {
                continue;
            }
            String where = file + ":" + (i + 1) + ": ";
            int eq = line.indexOf('=');
            if (eq < 0) {
                throw new ConfigException(where + "expected key=value, found \"" + line + "\"");
            }
            String key = line.substring(0, eq).strip();
            String value = line.substring(eq + 1).strip();
            Integer earlier = seenKeys.put(key, i + 1);
            if (earlier != null) {
                throw new ConfigException(where + "duplicate " + describe(key) + " (first on line " + earlier + ")");
            }
            Matcher replicaKey = REPLICA_KEY.matcher(key);
            Matcher httpKey = HTTP_KEY.matcher(key);
            if (replicaKey.matches()) {
                int id = parseId(replicaKey.group(1), where + "bad replica id in \"" + line + "\"");
                if (replicas.containsKey(id)) {
                    throw new ConfigException(where + "duplicate replica id " + id);
                }
                replicas.put(id, parseAddress(id, value, where, line));
            } else if (httpKey.matches()) {
                int id = parseId(httpKey.group(1), where + "bad replica id in \"" + line + "\"");
                if (httpPorts.containsKey(id)) {
                    throw new ConfigException(where + "duplicate http." + id + " (first on line " + httpLines.get(id) + ")");
                }
                httpPorts.put(id, parsePort(value, where + "bad port \"" + value + "\" in \"" + line + "\" (expected 1-65535)"));
                httpLines.put(id, i + 1);
            } else if (key.equals("data.dir")) {
                if (value.isEmpty()) {
                    throw new ConfigException(where + "data.dir is empty");
                }
                try {
                    dataDir = base.resolve(value).normalize();
                } catch (java.nio.file.InvalidPathException e) {
                    throw new ConfigException(where + "bad data.dir \"" + value + "\": " + e.getReason());
                }
            } else if (key.equals("snapshot.every")) {
                snapshotEvery = parsePositive(value, where + "bad snapshot.every \"" + value + "\"");
            } else if (key.equals("client.expiry.seconds")) {
                clientExpirySeconds = parsePositive(value, where + "bad client.expiry.seconds \"" + value + "\"");
            } else if (key.equals("view.suspect.seconds")) {
                viewSuspectMillis = parseSuspectMillis(value, where + "bad view.suspect.seconds \"" + value + "\"");
            } else if (key.equals("cluster.secret.file")) {
                secretFile = parsePath(base, value, where, key);
            } else if (TLS_KEYS.contains(key)) {
                if (value.isEmpty()) {
                    throw new ConfigException(where + key + " is empty");
                }
                tlsSettings.put(key, value);
            } else {
                throw new ConfigException(where + "unknown setting \"" + key + "\" (known: replica.<id>=<host>:<port>,"
                        + " http.<id>=<port>, data.dir, snapshot.every, client.expiry.seconds, view.suspect.seconds,"
                        + " cluster.secret.file, "
                        + String.join(", ", TLS_KEYS) + ")");
            }
        }
        if (replicas.isEmpty()) {
            throw new ConfigException(file + ": no replicas (add lines like replica.1=127.0.0.1:7101)");
        }
        checkHttpPorts(file, replicas, httpPorts, httpLines);
        return new ClusterConfig(file, replicas, dataDir, snapshotEvery, clientExpirySeconds, viewSuspectMillis,
                secretFile, parseTls(file, base, tlsSettings, seenKeys), httpPorts);
    }

    /**
     * Each {@code http.<id>} names a replica of the file, and its port is free on that replica's
     * host: not an RMI port there, and not another dashboard's.
     */
    private static void checkHttpPorts(Path file, SortedMap<Integer, ReplicaAddress> replicas,
                                       SortedMap<Integer, Integer> httpPorts, SortedMap<Integer, Integer> lines)
            throws ConfigException {
        Map<String, String> taken = new HashMap<>();     // "host port" -> the setting using it
        for (ReplicaAddress r : replicas.values()) {
            taken.put(r.host() + " " + r.port(), "replica." + r.id());
        }
        for (Map.Entry<Integer, Integer> e : httpPorts.entrySet()) {
            int id = e.getKey();
            String where = file + ":" + lines.get(id) + ": ";
            ReplicaAddress r = replicas.get(id);
            if (r == null) {
                throw new ConfigException(where + "http." + id + " names no replica (replicas: "
                        + replicas.keySet().stream().map(String::valueOf).collect(Collectors.joining(", ")) + ")");
            }
            String setting = "http." + id + "=" + e.getValue();
            String other = taken.putIfAbsent(r.host() + " " + e.getValue(), setting);
            if (other != null) {
                throw new ConfigException(where + setting + " uses port " + e.getValue() + " of " + r.host()
                        + ", which " + other + " uses already");
            }
        }
    }

    private static Tls parseTls(Path file, Path base, SortedMap<String, String> settings, SortedMap<String, Integer> lines)
            throws ConfigException {
        String enabled = settings.getOrDefault("tls.enabled", "false");
        if (!enabled.equals("true") && !enabled.equals("false")) {
            throw new ConfigException(file + ":" + lines.get("tls.enabled") + ": bad tls.enabled \"" + enabled
                    + "\" (expected true or false)");
        }
        if (enabled.equals("false")) {
            return null;
        }
        for (String required : List.of("tls.keystore", "tls.keystore.password", "tls.truststore",
                "tls.truststore.password")) {
            if (!settings.containsKey(required)) {
                throw new ConfigException(file + ": tls.enabled=true needs " + required
                        + " (the settings are tls.keystore, tls.keystore.password, tls.truststore,"
                        + " tls.truststore.password, and for clients tls.client.keystore, tls.client.keystore.password)");
            }
        }
        if (settings.containsKey("tls.client.keystore") != settings.containsKey("tls.client.keystore.password")) {
            throw new ConfigException(file + ": tls.client.keystore and tls.client.keystore.password go together");
        }
        String where = file + ":" + lines.get("tls.keystore") + ": ";
        String keystore = parsePath(base, settings.get("tls.keystore"), where, "tls.keystore").toString();
        Path client = settings.containsKey("tls.client.keystore")
                ? parsePath(base, settings.get("tls.client.keystore"), file + ":" + lines.get("tls.client.keystore") + ": ",
                "tls.client.keystore") : null;
        Path trust = parsePath(base, settings.get("tls.truststore"), file + ":" + lines.get("tls.truststore") + ": ",
                "tls.truststore");
        return new Tls(keystore, settings.get("tls.keystore.password"), client,
                settings.get("tls.client.keystore.password"), trust, settings.get("tls.truststore.password"));
    }

    private static Path parsePath(Path base, String value, String where, String key) throws ConfigException {
        if (value.isEmpty()) {
            throw new ConfigException(where + key + " is empty");
        }
        try {
            return base.resolve(value).normalize();
        } catch (java.nio.file.InvalidPathException e) {
            throw new ConfigException(where + "bad " + key + " \"" + value + "\": " + e.getReason());
        }
    }

    private static String describe(String key) {
        Matcher m = REPLICA_KEY.matcher(key);
        return m.matches() ? "replica id " + m.group(1) : "setting \"" + key + "\"";
    }

    private static int parseId(String raw, String error) throws ConfigException {
        if (!raw.matches("[0-9]{1,9}")) {
            throw new ConfigException(error + " (ids are positive integers)");
        }
        int id = Integer.parseInt(raw);
        if (id <= 0) {
            throw new ConfigException(error + " (ids are positive integers)");
        }
        return id;
    }

    private static long parsePositive(String raw, String error) throws ConfigException {
        if (!raw.matches("[0-9]{1,12}") || Long.parseLong(raw) == 0) {
            throw new ConfigException(error + " (expected a positive whole number)");
        }
        return Long.parseLong(raw);
    }

    /** Seconds, to the millisecond ({@code 2}, {@code 0.5}), above 0 and at most {@link #MAX_VIEW_SUSPECT_MILLIS}. */
    private static long parseSuspectMillis(String raw, String error) throws ConfigException {
        Matcher m = SECONDS.matcher(raw);
        long millis = -1;
        if (m.matches()) {
            String fraction = m.group(2) == null ? "" : m.group(2);
            millis = Long.parseLong(m.group(1)) * 1000 + Long.parseLong((fraction + "000").substring(0, 3));
        }
        if (millis <= 0 || millis > MAX_VIEW_SUSPECT_MILLIS) {
            throw new ConfigException(error + " (expected seconds above 0 and at most " + MAX_VIEW_SUSPECT_MILLIS / 1000
                    + ", to the millisecond, such as 2 or 0.5)");
        }
        return millis;
    }

    private static int parsePort(String raw, String error) throws ConfigException {
        int port = raw.matches("[0-9]{1,5}") ? Integer.parseInt(raw) : -1;
        if (port < 1 || port > 65535) {
            throw new ConfigException(error);
        }
        return port;
    }

    private static ReplicaAddress parseAddress(int id, String value, String where, String line) throws ConfigException {
        Matcher m = HOST_PORT.matcher(value);
        if (!m.matches()) {
            throw new ConfigException(where + "expected <host>:<port> in \"" + line + "\"");
        }
        String host = m.group(1);
        String portText = m.group(2);
        if (host.startsWith("[")) {
            host = host.substring(1, host.length() - 1);
            if (!IPV6.matcher(host).matches() || !host.contains(":")) {
                throw new ConfigException(where + "bad host \"" + m.group(1) + "\" in \"" + line + "\"");
            }
        } else if (!HOSTNAME.matcher(host).matches()) {
            throw new ConfigException(where + "bad host \"" + host + "\" in \"" + line + "\"");
        }
        int port;
        try {
            port = portText.matches("[0-9]{1,5}") ? Integer.parseInt(portText) : -1;
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 1 || port > 65535) {
            throw new ConfigException(where + "bad port \"" + portText + "\" in \"" + line + "\" (expected 1-65535)");
        }
        return new ReplicaAddress(id, host, port);
    }

    /** The file this configuration came from. */
    public Path file() {
        return file;
    }

    /** Every replica, by id. */
    public List<ReplicaAddress> replicas() {
        return new ArrayList<>(replicas.values());
    }

    public List<Integer> ids() {
        return new ArrayList<>(replicas.keySet());
    }

    /**
     * What every replica must be configured with alike (the member ids and the client expiry):
     * replicas compare it on every batch, and the log records it.
     */
    public Agreement agreement() {
        return new Agreement(ids(), clientExpirySeconds * 1000);
    }

    public Optional<ReplicaAddress> find(int id) {
        return Optional.ofNullable(replicas.get(id));
    }

    /** The replica with this id, or an error naming the ids there are. */
    public ReplicaAddress replica(int id) throws ConfigException {
        ReplicaAddress r = replicas.get(id);
        if (r == null) {
            throw new ConfigException("replica " + id + " is not in " + file + " (replicas: "
                    + replicas.keySet().stream().map(String::valueOf).collect(Collectors.joining(", ")) + ")");
        }
        return r;
    }

    /** Where every replica's directory lives ({@code data.dir}). */
    public Path dataDir() {
        return dataDir;
    }

    /** Applied operations between two snapshots of a replica's state. */
    public long snapshotEvery() {
        return snapshotEvery;
    }

    /**
     * How long the replicated client table remembers a client's last result. Part of the
     * replicated state machine, hence in the shared file: replicas must agree on it.
     */
    public long clientExpirySeconds() {
        return clientExpirySeconds;
    }

    /**
     * How long a member of a view may hear nothing from another member before it starts a view
     * change without it ({@code view.suspect.seconds}, default 2). Clients read it too: waiting
     * much longer for one replica than the cluster takes to give up on it gains nothing.
     */
    public long viewSuspectMillis() {
        return viewSuspectMillis;
    }

    /** A copy with another snapshot interval (tests). */
    public ClusterConfig withSnapshotEvery(long every) {
        return new ClusterConfig(file, new TreeMap<>(replicas), dataDir, every, clientExpirySeconds, viewSuspectMillis,
                clusterSecretFile, tls, new TreeMap<>(httpPorts));
    }

    /** The port of replica {@code id}'s dashboard ({@code http.<id>}), on the replica's own host; empty if none. */
    public OptionalInt httpPort(int id) {
        Integer port = httpPorts.get(id);
        return port == null ? OptionalInt.empty() : OptionalInt.of(port);
    }

    /**
     * The file holding the cluster secret every peer call proves knowledge of
     * ({@code cluster.secret.file}; default {@code cluster.secret} beside the configuration).
     */
    public Path clusterSecretFile() {
        return clusterSecretFile;
    }

    /** The TLS settings if {@code tls.enabled=true}, else empty (plain RMI). */
    public Optional<Tls> tls() {
        return Optional.ofNullable(tls);
    }

    /** Where replica {@code id} keeps its files. */
    public Path dataDirOf(int id) {
        return dataDir.resolve("replica-" + id);
    }
}
