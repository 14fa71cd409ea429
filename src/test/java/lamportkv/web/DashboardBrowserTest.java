package lamportkv.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import lamportkv.rmi.Reply;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.EnabledIf;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The dashboard in a real browser: Debian's headless Chromium through its chromedriver
 * ({@code apt-get install chromium chromium-driver}; nothing is downloaded). Each test saves a
 * screenshot under the build directory's {@code dashboard-screenshots/} for a person to look at.
 * Where Chromium is missing the tests are skipped, saying so.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@EnabledIf(value = "browserInstalled", disabledReason = "the browser tests need /usr/bin/chromium and /usr/bin/chromedriver"
        + " (apt-get install chromium chromium-driver; or -Ddashboard.chromium=... -Ddashboard.chromedriver=...)")
class DashboardBrowserTest {
    static final Path CHROMIUM = Path.of(System.getProperty("dashboard.chromium", "/usr/bin/chromium"));
    static final Path CHROMEDRIVER = Path.of(System.getProperty("dashboard.chromedriver", "/usr/bin/chromedriver"));
    static final Duration WAIT = Duration.ofSeconds(10);
    /** A laptop's width; headless Chromium keeps 143 px of the height for its window, so the page sees 1366x900. */
    static final Dimension WINDOW = new Dimension(1366, 1043);

    @TempDir
    static Path dir;
    static DashboardCluster cluster;
    static WebDriver browser;
    static Path screenshots;

    /** Whether Chromium and its driver are there; else every test is skipped, saying why (surefire lists them as skipped). */
    static boolean browserInstalled() {
        boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
        if (!installed) {
            System.err.println("browser tests skipped: " + CHROMIUM + " or " + CHROMEDRIVER + " is missing");
        }
        return installed;
    }

    @BeforeAll
    static void start() throws Exception {
        screenshots = buildDirectory().resolve("dashboard-screenshots");
        Files.createDirectories(screenshots);
        cluster = DashboardCluster.start(3, dir);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=" + WINDOW.width + "," + WINDOW.height, "--force-device-scale-factor=1", "--lang=en-US",
                "--hide-scrollbars");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        browser.manage().window().setSize(WINDOW);
    }

    @AfterAll
    static void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (cluster != null) {
            cluster.close();
        }
    }

    /** The build directory (target/ unless -Dbuild.dir says otherwise): where test-classes is. */
    static Path buildDirectory() throws URISyntaxException {
        return Path.of(DashboardBrowserTest.class.getProtectionDomain().getCodeSource().getLocation().toURI()).getParent();
    }

    @BeforeEach
    void open() {
        browser.get(cluster.url(1, "/").toString());
        waitFor("every replica's clock", () -> cluster.ids().stream().allMatch(id -> clock(id) >= 0));
    }

    @AfterEach
    void screenshot(TestInfo test) throws IOException {
        if (browser != null) {
            screenshot(test, "");
        }
    }

    /** Saves what the browser shows as {@code <order>-<test><suffix>.png}. */
    static void screenshot(TestInfo test, String suffix) throws IOException {
        Path to = screenshots.resolve(String.format("%02d-%s%s.png",
                test.getTestMethod().orElseThrow().getAnnotation(Order.class).value(),
                test.getTestMethod().orElseThrow().getName(), suffix));
        Files.write(to, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
        System.out.println("screenshot: " + to);
    }

    interface Condition {
        boolean holds();
    }

    static void waitFor(String what, Condition condition) {
        new WebDriverWait(browser, WAIT).withMessage(what).until(d -> condition.holds());
    }

    static WebElement byId(String id) {
        return browser.findElement(By.id(id));
    }

    /**
     * The texts of the elements {@code selector} matches, read in one step: the page re-renders
     * as events arrive, so elements found in one call may be gone by the next.
     */
    @SuppressWarnings("unchecked")
    static List<String> texts(String selector) {
        return (List<String>) ((JavascriptExecutor) browser).executeScript(
                "return [...document.querySelectorAll(arguments[0])].map(e => e.textContent.trim());", selector);
    }

    static String text(String id) {
        List<String> t = texts("#" + id);
        return t.isEmpty() ? "" : t.get(0);
    }

    static int count(String selector) {
        return texts(selector).size();
    }

    /** Replica {@code id}'s clock on the page, or -1 while it shows none. */
    static long clock(int id) {
        String text = text("clock-" + id);
        return text.matches("[0-9]+") ? Long.parseLong(text) : -1;
    }

    static Map<Integer, Long> clocks() {
        Map<Integer, Long> clocks = new TreeMap<>();
        for (int id : cluster.ids()) {
            clocks.put(id, clock(id));
        }
        return clocks;
    }

    /** Runs {@code op} from the form with {@code args} in its argument fields, in order; the others emptied. */
    static void runFromForm(int replica, String op, String... args) {
        new Select(byId("op-replica")).selectByValue(String.valueOf(replica));
        new Select(byId("op-kind")).selectByValue(op);
        for (int i = 1; i <= 3; i++) {
            WebElement input = byId("op-arg" + i);
            if (input.isEnabled()) {
                input.clear();
                if (i <= args.length) {
                    input.sendKeys(args[i - 1]);
                }
            }
        }
        byId("op-run").click();
    }

    static String dataValue(String key) {
        List<String> keys = texts("#data-table tbody td:first-child");
        List<String> values = texts("#data-table tbody td:nth-child(2)");
        int i = keys.indexOf(key);
        return i < 0 || i >= values.size() ? "" : values.get(i);
    }

    @Test
    @Order(1)
    @DisplayName("the page loads with every replica's clock, reachable, and the cluster's data")
    void pageLoadsWithEveryClock() {
        for (int id : cluster.ids()) {
            assertThat(clock(id)).as("replica %d's clock", id).isGreaterThanOrEqualTo(0);
            assertThat(text("reach-" + id)).isEqualTo("reachable");
        }
        waitFor("the stream is live", () -> text("connection").equals("live"));
        assertThat(text("served-by")).contains("served by replica 1");
        assertThat(texts(".lane-label")).containsExactly("replica 1", "replica 2", "replica 3");
    }

    @Test
    @Order(2)
    @DisplayName("add from the form updates the data table and the clocks on all lanes, without a reload")
    void addFromFormUpdatesDataAndClocks() {
        ((JavascriptExecutor) browser).executeScript("window.notReloaded = true;");
        runFromForm(2, "set", "counter", "10");
        waitFor("counter = 10 in the table", () -> dataValue("counter").equals("10"));
        Map<Integer, Long> before = clocks();
        runFromForm(3, "add", "counter", "5");
        waitFor("the add's answer", () -> text("op-result").contains("add counter 5 → 15"));
        waitFor("counter = 15 in the table", () -> dataValue("counter").equals("15"));
        waitFor("every clock moved on", () -> cluster.ids().stream().allMatch(id -> clock(id) > before.get(id)));
        assertThat(((JavascriptExecutor) browser).executeScript("return window.notReloaded === true;")).isEqualTo(true);
        waitFor("the replicas' agreement", () -> text("agreement").startsWith("✓ replicas 1, 2, 3 hold the same data"));
    }

    @Test
    @Order(3)
    @DisplayName("the internal-event button increments that replica's clock by one")
    void internalEventButton() {
        long before = clock(3);
        byId("tick-3").click();
        waitFor("replica 3's clock + 1", () -> clock(3) == before + 1);
        // An internal event is a dot of its own on replica 3's lane, labelled with the new clock.
        waitFor("the tick's dot", () -> count("#diagram circle.dot.tick") > 0);
        waitFor("its stamp", () -> texts("#diagram text.stamp").contains(String.valueOf(before + 1)));
    }

    @Test
    @Order(4)
    @DisplayName("the diagram draws REQUEST, OK and APPLY arrows for an operation; clicking it highlights them")
    void diagramShowsTheProtocol() throws InterruptedException {
        // A little traffic first, from every replica, for the operations-per-second chart.
        for (int i = 0; i < 90; i++) {
            int id = 1 + i % 3;
            assertThat(cluster.run(id, "set", "k" + (i % 6), String.valueOf(i)).ok()).isTrue();
            Thread.sleep(i % 3 == 0 ? 20 : 40 + i);
        }
        assertThat(cluster.run(1, "set", "greeting", "hello")).isEqualTo(new Reply(Reply.Status.OK, "OK"));
        assertThat(cluster.run(2, "mult", "counter", "2")).isEqualTo(new Reply(Reply.Status.OK, "30"));
        byId("tick-2").click();
        assertThat(cluster.run(3, "add", "counter", "0.5")).isEqualTo(new Reply(Reply.Status.OK, "30.5"));
        // All three kinds waited for together: the earlier traffic alone can already show 8 APPLY arrows.
        waitFor("the arrows of all three operations",
                () -> arrows("APPLY") >= 8 && arrows("REQUEST") >= 6 && arrows("OK") >= 6);

        // Select the add through the event log: its six arrows light up, the rest fade.
        waitFor("the add's execution in the log, clicked", () -> (Boolean) ((JavascriptExecutor) browser).executeScript(
                "const li = [...document.querySelectorAll('#event-log li')].find(l => l.textContent.includes('executed')"
                + " && l.textContent.includes('add counter 0.5')); if (li) li.click(); return !!li;"));
        waitFor("the selection", () -> text("selection").contains("add counter 0.5"));
        waitFor("its six arrows lit", () -> count("#diagram line.arrow.hl") == 6);
        for (String m : List.of("REQUEST", "OK", "APPLY")) {
            assertThat(count("#diagram line.arrow.hl." + m)).as(m).isEqualTo(2);
        }
        assertThat(text("selection")).contains("REQUEST → 1, 2").contains("OK ← 1, 2")
                .contains("executed = 30.5").contains("applied at 1, 2");

        // Hovering the execution's diamond (a real mouse move) shows the event.
        @SuppressWarnings("unchecked")
        Map<String, Number> at = (Map<String, Number>) ((JavascriptExecutor) browser).executeScript(
                "const d = document.querySelector('#diagram path.dot.execute.hl');"
                + " const r = d.getBoundingClientRect(); return {x: r.x + r.width / 2, y: r.y + r.height / 2};");
        new Actions(browser).moveToLocation(at.get("x").intValue(), at.get("y").intValue()).perform();
        waitFor("the tooltip", () -> byId("tooltip").isDisplayed());
        assertThat(text("tooltip")).startsWith("replica 3 · L=").contains("executed its (")
                .contains("add counter 0.5 = 30.5");
        new Actions(browser).moveToLocation(5, 5).perform();
        waitFor("the tooltip hidden", () -> !byId("tooltip").isDisplayed());

        // The diagram follows the newest events; the chart drew each replica's operations per second.
        assertThat((Boolean) ((JavascriptExecutor) browser).executeScript("const s = document.getElementById"
                + "('diagram-scroll'); return s.scrollLeft + s.clientWidth >= s.scrollWidth - 4;")).isTrue();
        assertThat(count("#rate-chart polyline.series")).isEqualTo(3);
        assertThat((Boolean) ((JavascriptExecutor) browser).executeScript("const c = document.getElementById('rate-chart');"
                + " const floor = c.viewBox.baseVal.height - 16;"   // where dashboard.js draws 0 ops/s
                + " return [...c.querySelectorAll('polyline')].some(p => [...p.points].some(q => q.y < floor - 10));"))
                .as("a rate above the chart's floor").isTrue();
    }

    static int arrows(String message) {
        return count("#diagram line.arrow." + message + ":not(.flight)");
    }

    @Test
    @Order(5)
    @DisplayName("slow motion: the waiting request in its origin's buffer with its OKs, its messages drawn in flight,"
            + " an operation queued behind it")
    void slowMotion(TestInfo test) throws Exception {
        WebElement slowMotion = byId("slow-motion").findElement(By.xpath(".."));
        slowMotion.click();
        waitFor("slow motion on every replica", () -> texts(".buffer caption").stream()
                .filter(c -> c.endsWith(" · slow motion")).count() == 3);
        runFromForm(1, "set", "slow", "1");
        waitFor("the request in replica 1's buffer, without OKs", () -> texts("#buffer-1 td").contains("set slow 1")
                && texts("#buffer-1 td.oks").equals(List.of("0/2")));
        waitFor("its REQUESTs in flight", () -> count("#diagram line.arrow.REQUEST.flight") == 2);
        CompletableFuture<Reply> queued = CompletableFuture.supplyAsync(() -> cluster.run(1, "add", "slow", "1"));
        waitFor("a second operation queued at replica 1, not stamped", () -> text("buffer-1")
                .contains("1 request waits · 1 operation queued to be stamped · slow motion"));
        screenshot(test, "-in-flight");
        waitFor("its OKs in flight", () -> count("#diagram line.arrow.OK.flight") == 2);
        waitFor("the answer", () -> text("op-result").contains("set slow 1 → OK"));
        assertThat(queued.get(20, TimeUnit.SECONDS).text()).isEqualTo("2");
        waitFor("nothing queued", () -> !text("buffer-1").contains("queued"));
        slowMotion.click();
        waitFor("slow motion off", () -> texts(".buffer caption").stream().noneMatch(c -> c.contains("slow motion")));
    }

    @Test
    @Order(6)
    @DisplayName("a view event: a labelled line across the lanes after the replica's last event, one line in the log;"
            + " each card shows its view")
    void viewEventIsDrawn() {
        waitFor("replica 2's view on its card", () -> texts("#stats-2 dd").contains("0 (1 2 3)"));
        assertThat(count("#diagram line.view-line")).isZero();
        long before = clock(2);
        byId("tick-2").click();
        waitFor("replica 2's tick", () -> clock(2) > before);
        cluster.viewEvent(2, 5, List.of(1, 2, 3), "member of view 5 (1 2 3)");
        waitFor("the view's line", () -> count("#diagram line.view-line") == 1);
        assertThat(texts("#diagram text.view-label")).containsExactly("view 5");
        assertThat(count("#diagram rect.view-mark")).as("a mark on replica 2's lane").isEqualTo(1);
        @SuppressWarnings("unchecked")
        Map<String, Number> at = (Map<String, Number>) ((JavascriptExecutor) browser).executeScript(
                "const v = document.querySelector('#diagram line.view-line');"
                + " const lanes = [...document.querySelectorAll('#diagram line.lane')].map(l => l.y1.baseVal.value);"
                + " const xs = [...document.querySelectorAll('#diagram .dot[data-replica=\"2\"]')]"
                + "   .map(d => d.getBBox().x + d.getBBox().width / 2);"
                + " return {x: v.x1.baseVal.value, x2: v.x2.baseVal.value, top: v.y1.baseVal.value,"
                + "   bottom: v.y2.baseVal.value, firstLane: Math.min(...lanes), lastLane: Math.max(...lanes),"
                + "   lastOfReplica2: Math.max(...xs)};");
        assertThat(at.get("x2").doubleValue()).as("upright: x is time").isEqualTo(at.get("x").doubleValue());
        assertThat(at.get("top").doubleValue()).as("from above the first lane").isLessThan(at.get("firstLane").doubleValue());
        assertThat(at.get("bottom").doubleValue()).as("to below the last").isGreaterThan(at.get("lastLane").doubleValue());
        assertThat(at.get("x").doubleValue()).as("after replica 2's last event, in a column of its own")
                .isGreaterThan(at.get("lastOfReplica2").doubleValue());
        waitFor("one line in the event log", () -> texts("#event-log li").stream()
                .filter(l -> l.contains("member of view 5 (1 2 3)")).toList().size() == 1);
        assertThat(texts("#event-log li").stream().filter(l -> l.contains("member of view 5")).findFirst().orElseThrow())
                .contains("R2").containsPattern("L=[0-9]+");
    }

    @Test
    @Order(7)
    @DisplayName("the form offers lock and the other new operations, naming their arguments; a lock run from it shows in"
            + " every replica's panel with its token and a lease counting down, until unlock (token filled in) frees it")
    void lockFromForm(TestInfo test) throws IOException {
        assertThat(texts("#op-kind option")).containsExactly("set KEY VALUE", "add KEY N", "mult KEY N", "get KEY",
                "del KEY", "cas KEY EXPECTED NEW", "rev [KEY]", "lock NAME TTL [WAIT]", "renew NAME TOKEN", "unlock NAME TOKEN");
        assertThat(optionValues()).containsExactlyElementsOf(Controls.OPERATIONS.keySet());
        new Select(byId("op-kind")).selectByValue("cas");
        assertThat(texts(".op-form .arg-name")).containsExactly("key", "expected", "new value");
        assertThat(placeholders()).containsExactly("KEY", "EXPECTED", "NEW");
        new Select(byId("op-kind")).selectByValue("lock");
        assertThat(texts(".op-form .arg-name")).containsExactly("lock name", "ttl (s)", "wait (s)");
        assertThat(placeholders()).containsExactly("NAME", "TTL", "[WAIT]");
        assertThat(text("op-help")).startsWith("lock: hold lock NAME for TTL s");
        waitFor("no lock on any panel", () -> texts(".locks caption").equals(List.of("no locks held", "no locks held",
                "no locks held")));

        runFromForm(2, "lock", "job", "30");
        waitFor("the grant", () -> text("op-result").matches("replica 2: lock job 30 → granted [0-9]+"));
        String token = text("op-result").replaceAll(".* ", "");
        for (int id : cluster.ids()) {
            waitFor("the lock on replica " + id + "'s panel", () -> {
                List<String> row = texts("#locks-" + id + " td");
                return row.size() == 4 && row.get(0).equals("job") && row.get(1).equals(token) && row.get(3).equals("0");
            });
            assertThat(text("locks-" + id)).startsWith("1 lock held");
        }
        screenshot(test, "-held");
        // Time left, from the lease's end and the browser's clock: under 30 s, and it goes down by itself.
        long left = leaseLeft(1);
        assertThat(left).isBetween(20L, 30L);
        waitFor("the lease counting down", () -> leaseLeft(1) < left);

        // unlock takes the name and the token lock printed: the form kept them.
        new Select(byId("op-kind")).selectByValue("unlock");
        assertThat(byId("op-arg1").getDomProperty("value")).isEqualTo("job");
        assertThat(byId("op-arg2").getDomProperty("value")).isEqualTo(token);
        assertThat(byId("op-arg3").isEnabled()).isFalse();
        byId("op-run").click();
        waitFor("the unlock's answer", () -> text("op-result").equals("replica 2: unlock job " + token + " → 1"));
        waitFor("no lock on any panel", () -> texts(".locks caption").equals(List.of("no locks held", "no locks held",
                "no locks held")));
    }

    @SuppressWarnings("unchecked")
    static List<String> optionValues() {
        return (List<String>) ((JavascriptExecutor) browser).executeScript(
                "return [...document.querySelectorAll('#op-kind option')].map(o => o.value);");
    }

    @SuppressWarnings("unchecked")
    static List<String> placeholders() {
        return (List<String>) ((JavascriptExecutor) browser).executeScript(
                "return [...document.querySelectorAll('.op-form input:enabled')].map(i => i.placeholder);");
    }

    /** The seconds left of the first lock's lease on replica {@code id}'s panel (the page shows "N s" under a minute). */
    static long leaseLeft(int id) {
        String text = texts("#locks-" + id + " td.left").get(0);
        assertThat(text).matches("[0-9]+ s");
        return Long.parseLong(text.replace(" s", ""));
    }

    @Test
    @Order(8)
    @DisplayName("a stopped replica shows as unreachable within a few seconds")
    void stoppedReplicaShowsUnreachable() {
        cluster.stop(3);
        new WebDriverWait(browser, Duration.ofSeconds(5)).withMessage("replica 3 shown unreachable")
                .until(d -> text("reach-3").startsWith("unreachable"));
        assertThat(byId("replica-3").getAttribute("class")).contains("down");
        assertThat(text("reach-1")).isEqualTo("reachable");
        waitFor("replica 1's link to 3 marked down", () -> text("links-1").contains("→3 ✗"));
        waitFor("replica 3's lane marked down", () -> texts(".lane-label.down").equals(List.of("replica 3unreachable")));
    }
}
