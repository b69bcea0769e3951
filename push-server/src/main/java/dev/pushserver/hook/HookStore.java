package dev.pushserver.hook;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The hook queue in a SQLite file ({@code hooks.db}) under {@code data_dir}, in WAL mode: the embedded default, and
 * with Redis the place events wait while Redis is unreachable. Every queued event is a row per destination until it
 * is delivered (deleted) or dead-lettered. A committed row survives a kill -9 of the process. Several processes may
 * open the same file; one delivers (it holds {@code hooks.lock}).
 */
public final class HookStore implements HookQueue {

    /** A row with its place in the queue, for moving it elsewhere. */
    record Stored(long seq, Row row) {
    }

    private final Path file;
    private final Connection db;

    private HookStore(Path file, Connection db) {
        this.file = file;
        this.db = db;
    }

    /**
     * Opens (creating if needed) the queue under {@code dataDir}. Fails with a message naming the directory when it
     * cannot be created or written.
     */
    public static HookStore open(Path dataDir) throws IOException {
        return open(dataDir, true);
    }

    /**
     * Opens the queue under {@code dataDir}; with {@code create} false, fails when there is none (the tools: a
     * mistyped data_dir must not look like an empty queue).
     */
    public static HookStore open(Path dataDir, boolean create) throws IOException {
        Path file = dataDir.resolve("hooks.db");
        if (!create && !Files.isRegularFile(file)) {
            throw new IOException("there is no hook queue " + file.toAbsolutePath()
                    + " (no server has run with this data_dir)");
        }
        try {
            Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new IOException("cannot create " + dataDir.toAbsolutePath() + ": " + e.getMessage(), e);
        }
        if (!Files.isWritable(dataDir)) {
            throw new IOException(dataDir.toAbsolutePath() + " is not writable");
        }
        try {
            Connection db = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement s = db.createStatement()) {
                s.execute("PRAGMA busy_timeout = 10000");
                s.execute("PRAGMA journal_mode = WAL");
                // WAL + NORMAL: a committed transaction survives the process dying (kill -9), not a power loss
                s.execute("PRAGMA synchronous = NORMAL");
                s.execute("CREATE TABLE IF NOT EXISTS hook_queue (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                        + "id TEXT NOT NULL, target TEXT NOT NULL, app_id TEXT NOT NULL, name TEXT NOT NULL, "
                        + "channel TEXT, event TEXT NOT NULL, created_ms INTEGER NOT NULL, "
                        + "attempts INTEGER NOT NULL DEFAULT 0, next_attempt_ms INTEGER NOT NULL, last_error TEXT)");
                s.execute("CREATE INDEX IF NOT EXISTS hook_queue_target ON hook_queue (target, seq)");
                s.execute("CREATE TABLE IF NOT EXISTS hook_dead (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                        + "id TEXT NOT NULL, target TEXT NOT NULL, app_id TEXT NOT NULL, name TEXT NOT NULL, "
                        + "channel TEXT, event TEXT NOT NULL, created_ms INTEGER NOT NULL, "
                        + "attempts INTEGER NOT NULL, failed_ms INTEGER NOT NULL, last_error TEXT)");
            }
            db.setAutoCommit(false);
            return new HookStore(file, db);
        } catch (SQLException e) {
            throw new IOException("cannot open the hook queue " + file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    @Override
    public String describe() {
        return file.toAbsolutePath().toString();
    }

    @Override
    public boolean ownsAllTargets() {
        return true;
    }

    private static Unavailable unavailable(String what, SQLException e) {
        return new Unavailable("cannot " + what + " the hook queue: " + e.getMessage(), e);
    }

    private void rollback() {
        try {
            db.rollback();
        } catch (SQLException ignored) {
            // the transaction is gone with the failure anyway
        }
    }

    /** Runs one transaction; a failure rolls it back and says what could not be done. */
    private interface Tx<T> {
        T run() throws SQLException;
    }

    private <T> T tx(String what, Tx<T> work) throws Unavailable {
        try {
            T out = work.run();
            // commit only with every result set closed: an open one keeps the read snapshot, and the next write
            // then fails with SQLITE_BUSY_SNAPSHOT once another process has written
            db.commit();
            return out;
        } catch (SQLException e) {
            rollback();
            throw unavailable(what, e);
        }
    }

    @Override
    public void insert(List<Row> rows) throws Unavailable {
        tx("write", () -> {
            try (PreparedStatement p = db.prepareStatement("INSERT INTO hook_queue (id, target, app_id, name, "
                    + "channel, event, created_ms, next_attempt_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
                for (Row r : rows) {
                    p.setString(1, r.id());
                    p.setString(2, r.target());
                    p.setString(3, r.appId());
                    p.setString(4, r.name());
                    p.setString(5, r.channel());
                    p.setString(6, r.json());
                    p.setLong(7, r.createdMs());
                    p.setLong(8, r.createdMs());
                    p.addBatch();
                }
                p.executeBatch();
            }
            return null;
        });
    }

    @Override
    public List<Queued> head(String target, int max) throws Unavailable {
        return tx("read", () -> {
            try (PreparedStatement p = db.prepareStatement("SELECT seq, id, app_id, name, channel, event, created_ms, "
                    + "attempts, next_attempt_ms FROM hook_queue WHERE target = ? ORDER BY seq LIMIT ?")) {
                p.setString(1, target);
                p.setInt(2, max);
                List<Queued> out = new ArrayList<>();
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.add(new Queued(Long.toString(r.getLong(1)), r.getString(2), r.getString(3),
                                r.getString(4), r.getString(5), r.getString(6), r.getLong(7), r.getInt(8),
                                r.getLong(9)));
                    }
                }
                return out;
            }
        });
    }

    @Override
    public Set<String> targets() throws Unavailable {
        return tx("read", () -> {
            Set<String> out = new LinkedHashSet<>();
            try (Statement s = db.createStatement(); ResultSet r = s.executeQuery(
                    "SELECT DISTINCT target FROM hook_queue")) {
                while (r.next()) {
                    out.add(r.getString(1));
                }
            }
            return out;
        });
    }

    @Override
    public void delivered(String target, List<Queued> rows) throws Unavailable {
        tx("update", () -> {
            try (PreparedStatement p = db.prepareStatement("DELETE FROM hook_queue WHERE seq = ?")) {
                for (Queued q : rows) {
                    p.setLong(1, Long.parseLong(q.ref()));
                    p.addBatch();
                }
                p.executeBatch();
            }
            return null;
        });
    }

    @Override
    public void failed(String target, List<Queued> rows, int attempts, long nextAttemptMs, String error)
            throws Unavailable {
        tx("update", () -> {
            try (PreparedStatement p = db.prepareStatement("UPDATE hook_queue SET attempts = ?, next_attempt_ms = ?, "
                    + "last_error = ? WHERE seq = ?")) {
                for (Queued q : rows) {
                    p.setInt(1, attempts);
                    p.setLong(2, nextAttemptMs);
                    p.setString(3, error);
                    p.setLong(4, Long.parseLong(q.ref()));
                    p.addBatch();
                }
                p.executeBatch();
            }
            return null;
        });
    }

    @Override
    public void deadLetter(String target, List<Queued> rows, int attempts, long nowMs, String error)
            throws Unavailable {
        tx("update", () -> {
            try (PreparedStatement copy = db.prepareStatement("INSERT INTO hook_dead (id, target, app_id, name, "
                    + "channel, event, created_ms, attempts, failed_ms, last_error) SELECT id, target, app_id, name, "
                    + "channel, event, created_ms, ?, ?, ? FROM hook_queue WHERE seq = ?");
                    PreparedStatement delete = db.prepareStatement("DELETE FROM hook_queue WHERE seq = ?")) {
                for (Queued q : rows) {
                    long seq = Long.parseLong(q.ref());
                    copy.setInt(1, attempts);
                    copy.setLong(2, nowMs);
                    copy.setString(3, error);
                    copy.setLong(4, seq);
                    copy.addBatch();
                    delete.setLong(1, seq);
                    delete.addBatch();
                }
                copy.executeBatch();
                delete.executeBatch();
            }
            return null;
        });
    }

    /** Dead-letters every queued row of a destination that is no longer configured. */
    int deadLetterTarget(String target, long nowMs, String error) throws Unavailable {
        return tx("update", () -> {
            try (PreparedStatement copy = db.prepareStatement("INSERT INTO hook_dead (id, target, app_id, name, "
                    + "channel, event, created_ms, attempts, failed_ms, last_error) SELECT id, target, app_id, name, "
                    + "channel, event, created_ms, attempts, ?, ? FROM hook_queue WHERE target = ? ORDER BY seq");
                    PreparedStatement delete = db.prepareStatement("DELETE FROM hook_queue WHERE target = ?")) {
                copy.setLong(1, nowMs);
                copy.setString(2, error);
                copy.setString(3, target);
                int n = copy.executeUpdate();
                delete.setString(1, target);
                delete.executeUpdate();
                return n;
            }
        });
    }

    // ---- moving rows elsewhere (Redis mode: events written here while Redis was unreachable) ----------------------

    /** The oldest rows of every destination, in the order they were queued. */
    List<Stored> oldest(int max) throws Unavailable {
        return tx("read", () -> {
            try (PreparedStatement p = db.prepareStatement("SELECT seq, id, target, app_id, name, channel, event, "
                    + "created_ms FROM hook_queue ORDER BY seq LIMIT ?")) {
                p.setInt(1, max);
                List<Stored> out = new ArrayList<>();
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.add(new Stored(r.getLong(1), new Row(r.getString(2), r.getString(3), r.getString(4),
                                r.getString(5), r.getString(6), r.getString(7), r.getLong(8))));
                    }
                }
                return out;
            }
        });
    }

    /** Removes rows that now live elsewhere. */
    void remove(List<Stored> rows) throws Unavailable {
        tx("update", () -> {
            try (PreparedStatement p = db.prepareStatement("DELETE FROM hook_queue WHERE seq = ?")) {
                for (Stored s : rows) {
                    p.setLong(1, s.seq());
                    p.addBatch();
                }
                p.executeBatch();
            }
            return null;
        });
    }

    /** Whether no event is queued. */
    boolean isEmpty() throws Unavailable {
        return tx("read", () -> {
            try (Statement s = db.createStatement(); ResultSet r = s.executeQuery(
                    "SELECT 1 FROM hook_queue LIMIT 1")) {
                return !r.next();
            }
        });
    }

    // ---- status and tools (also used by the `push-server hooks` commands) ----------------------------------------

    @Override
    public Map<String, TargetStatus> status() throws Unavailable {
        return tx("read", () -> {
            Map<String, TargetStatus> out = new LinkedHashMap<>();
            try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("SELECT target, count(*), "
                    + "sum(attempts > 0), min(created_ms), max(attempts), min(next_attempt_ms) FROM hook_queue "
                    + "GROUP BY target ORDER BY target")) {
                while (r.next()) {
                    out.put(r.getString(1), new TargetStatus(r.getString(1), r.getLong(2), 0, r.getLong(3),
                            r.getLong(4), r.getInt(5), r.getLong(6), null));
                }
            }
            return out;
        });
    }

    @Override
    public long deadCount() throws Unavailable {
        return tx("read", () -> {
            try (Statement s = db.createStatement(); ResultSet r = s.executeQuery("SELECT count(*) FROM hook_dead")) {
                r.next();
                return r.getLong(1);
            }
        });
    }

    @Override
    public List<DeadLetter> deadLetters(int limit) throws Unavailable {
        return tx("read", () -> {
            List<DeadLetter> out = new ArrayList<>();
            try (PreparedStatement p = db.prepareStatement("SELECT seq, id, target, name, channel, event, created_ms, "
                    + "attempts, failed_ms, last_error FROM hook_dead ORDER BY seq DESC LIMIT ?")) {
                p.setInt(1, limit);
                try (ResultSet r = p.executeQuery()) {
                    while (r.next()) {
                        out.add(new DeadLetter(Long.toString(r.getLong(1)), r.getString(2), r.getString(3),
                                r.getString(4), r.getString(5), r.getString(6), r.getLong(7), r.getInt(8),
                                r.getLong(9), r.getString(10)));
                    }
                }
            }
            return out;
        });
    }

    @Override
    public int replay(String id, long nowMs) throws Unavailable {
        String where = id == null ? "" : " WHERE id = ?";
        return tx("update", () -> {
            try (PreparedStatement copy = db.prepareStatement("INSERT INTO hook_queue (id, target, app_id, name, "
                    + "channel, event, created_ms, next_attempt_ms) SELECT id, target, app_id, name, channel, event, "
                    + "?, ? FROM hook_dead" + where + " ORDER BY seq");
                    PreparedStatement delete = db.prepareStatement("DELETE FROM hook_dead" + where)) {
                copy.setLong(1, nowMs);
                copy.setLong(2, nowMs);
                if (id != null) {
                    copy.setString(3, id);
                    delete.setString(1, id);
                }
                int n = copy.executeUpdate();
                delete.executeUpdate();
                return n;
            }
        });
    }

    @Override
    public int reset() throws Unavailable {
        return tx("update", () -> {
            try (Statement s = db.createStatement()) {
                return s.executeUpdate("DELETE FROM hook_queue") + s.executeUpdate("DELETE FROM hook_dead");
            }
        });
    }

    @Override
    public void close() {
        try {
            db.close();
        } catch (SQLException ignored) {
            // closing at shutdown: nothing to do about it
        }
    }
}
