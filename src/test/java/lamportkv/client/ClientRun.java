package lamportkv.client;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import lamportkv.cli.ClientMain;

/** The client run in-process: its exit status and everything it printed. */
record ClientRun(int status, String out, String err) {

    static ClientRun of(List<String> args) {
        return piped(args, "");
    }

    static ClientRun of(String... args) {
        return of(List.of(args));
    }

    /** Runs the client with {@code stdin} as its (non-terminal) input. */
    static ClientRun piped(List<String> args, String stdin) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = ClientMain.run(args.toArray(String[]::new),
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new ClientRun(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    List<String> outLines() {
        return out.lines().toList();
    }

    List<String> errLines() {
        return err.lines().toList();
    }
}
