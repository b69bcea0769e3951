package dev.pushserver.api;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.pushserver.hook.HookService;
import dev.pushserver.hook.HookQueue;
import dev.pushserver.protocol.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * The admin endpoints of the hook queue, the HTTP twin of {@code push-server hooks ...}:
 * {@code GET /admin/hooks} (status), {@code GET /admin/hooks/dead-letters?limit=N},
 * {@code POST /admin/hooks/replay?id=ID} or {@code ?all=true}, {@code POST /admin/hooks/reset}. Every request needs
 * {@code Authorization: Bearer <admin_token>}; without an {@code admin_token} in the configuration they do not exist.
 */
public final class AdminHandler {

    private final String token;
    private final HookService hooks;

    /** @param token the admin token, or null (the endpoints then answer 404) */
    public AdminHandler(String token, HookService hooks) {
        this.token = token;
        this.hooks = hooks;
    }

    public CompletionStage<ApiResponse> handle(ApiRequest req) {
        if (token == null) {
            return done(ApiResponse.error(ApiError.NOT_FOUND, "Not found"));
        }
        String presented = req.authorization() != null && req.authorization().startsWith("Bearer ")
                ? req.authorization().substring("Bearer ".length()).trim() : "";
        if (!MessageDigest.isEqual(presented.getBytes(StandardCharsets.UTF_8),
                token.getBytes(StandardCharsets.UTF_8))) {
            return done(ApiResponse.error(ApiError.UNAUTHORIZED, "Missing or wrong admin token: send "
                    + "Authorization: Bearer <admin_token>"));
        }
        if (hooks == null) {
            return done(ApiResponse.error(ApiError.NOT_FOUND, "No hook queue: no app has a webhook and no hook "
                    + "handler is installed"));
        }
        String path = Uri.rawPath(req.uri());
        Map<String, List<String>> query;
        try {
            query = Uri.params(req.uri());
        } catch (IllegalArgumentException e) {
            return done(ApiResponse.error(ApiError.BAD_REQUEST, "Malformed URL: " + e.getMessage()));
        }
        String route = req.method() + " " + path;
        CompletionStage<byte[]> body = switch (route) {
            case "GET /admin/hooks" -> hooks.status().thenApply(AdminHandler::status);
            case "GET /admin/hooks/dead-letters" -> hooks.deadLetters(limit(query)).thenApply(AdminHandler::dead);
            case "POST /admin/hooks/replay" -> replay(query);
            case "POST /admin/hooks/reset" -> hooks.reset().thenApply(n -> count("removed", n));
            default -> null;
        };
        if (body == null) {
            return done(ApiResponse.error(ApiError.NOT_FOUND, "Not found: the admin endpoints are GET /admin/hooks, "
                    + "GET /admin/hooks/dead-letters, POST /admin/hooks/replay, POST /admin/hooks/reset"));
        }
        return body.handle((ok, failure) -> failure == null ? ApiResponse.ok(ok)
                : unwrap(failure) instanceof IllegalArgumentException bad
                        ? ApiResponse.error(ApiError.BAD_REQUEST, bad.getMessage())
                        : ApiResponse.error(500, "Hook queue error: " + cause(failure)));
    }

    private CompletionStage<byte[]> replay(Map<String, List<String>> query) {
        String id = first(query, "id");
        boolean all = "true".equals(first(query, "all"));
        if ((id == null) == !all) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("give either id=<event id> or all=true"));
        }
        return hooks.replay(all ? null : id).thenApply(n -> count("replayed", n));
    }

    private static int limit(Map<String, List<String>> query) {
        try {
            String v = first(query, "limit");
            return v == null ? 100 : Math.max(1, Math.min(10_000, Integer.parseInt(v)));
        } catch (NumberFormatException e) {
            return 100;
        }
    }

    private static String first(Map<String, List<String>> query, String name) {
        List<String> v = query.get(name);
        return v == null || v.isEmpty() ? null : v.get(0);
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    private static String cause(Throwable t) {
        Throwable c = unwrap(t);
        return c.getMessage() == null ? c.toString() : c.getMessage();
    }

    private static byte[] count(String field, int n) {
        return Json.bytes(g -> {
            g.writeStartObject();
            g.writeNumberField(field, n);
            g.writeEndObject();
        });
    }

    /** The status as JSON (also printed by {@code push-server hooks status}). */
    public static byte[] status(HookService.Status s) {
        return Json.bytes(g -> {
            g.writeStartObject();
            g.writeBooleanField("delivering", s.delivering());
            g.writeStringField("queue", s.queue());
            g.writeNumberField("accepted", s.accepted());
            g.writeNumberField("emitted", s.emitted());
            g.writeNumberField("stored", s.stored());
            g.writeNumberField("delivered", s.delivered());
            g.writeNumberField("failed_attempts", s.failedAttempts());
            g.writeNumberField("dead_lettered", s.deadLettered());
            g.writeNumberField("waiting_to_be_written", s.waitingToBeWritten());
            g.writeNumberField("waiting_for_redis", s.waitingForRedis());
            queues(g, s.queues());
            g.writeNumberField("dead_letters", s.deadLetters());
            if (s.queueError() != null) {
                g.writeStringField("queue_error", s.queueError());
            }
            g.writeEndObject();
        });
    }

    /** The queues per destination. */
    public static void queues(JsonGenerator g, Map<String, HookQueue.TargetStatus> queues) throws IOException {
        g.writeObjectFieldStart("queues");
        for (HookQueue.TargetStatus t : queues.values()) {
            g.writeObjectFieldStart(t.target());
            g.writeNumberField("queued", t.queued());
            g.writeNumberField("pending", t.pending());
            g.writeNumberField("retrying", t.retrying());
            g.writeNumberField("oldest_ms", t.oldestMs());
            g.writeNumberField("attempts", t.attempts());
            g.writeNumberField("next_attempt_ms", t.nextAttemptMs());
            if (t.owner() != null) {
                g.writeStringField("delivered_by", t.owner());
            }
            g.writeEndObject();
        }
        g.writeEndObject();
    }

    /** Dead letters as JSON (also printed by {@code push-server hooks dead-letters}). */
    public static byte[] dead(List<HookQueue.DeadLetter> letters) {
        return Json.bytes(g -> {
            g.writeStartObject();
            g.writeArrayFieldStart("dead_letters");
            for (HookQueue.DeadLetter d : letters) {
                g.writeStartObject();
                g.writeStringField("id", d.id());
                g.writeStringField("target", d.target());
                g.writeStringField("name", d.name());
                g.writeStringField("channel", d.channel());
                g.writeNumberField("attempts", d.attempts());
                g.writeNumberField("created_ms", d.createdMs());
                g.writeNumberField("failed_ms", d.failedMs());
                g.writeStringField("last_error", d.lastError());
                g.writeFieldName("event");
                g.writeRawValue(d.json());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        });
    }

    private static CompletionStage<ApiResponse> done(ApiResponse r) {
        return CompletableFuture.completedFuture(r);
    }
}
