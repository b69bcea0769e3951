package dev.pushserver.console;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.pushserver.event.ChannelEvent;
import dev.pushserver.event.ChannelEvent.ClientEventSent;
import dev.pushserver.event.ChannelEvent.MemberAdded;
import dev.pushserver.event.ChannelEvent.ServerEvent;
import dev.pushserver.event.ChannelEvent.SubscriptionCountChanged;
import dev.pushserver.event.ChannelEvent.WebhookSent;
import dev.pushserver.protocol.Json;
import java.io.IOException;
import java.util.Locale;

/**
 * One channel event as a line of the console's live log:
 * {@code {"type":"server_event","seq":…,"time_ms":…,"channel":…,"event":…,"data":…}}. Payloads longer than
 * {@link #MAX_DATA} characters are cut, with {@code data_length} giving the full length, so that one large event
 * cannot flood a browser.
 */
public final class ConsoleJson {

    /** Characters of a payload the log shows. */
    public static final int MAX_DATA = 2048;

    private ConsoleJson() {
    }

    public static String line(ChannelEvent e) {
        return Json.string(g -> {
            g.writeStartObject();
            g.writeStringField("type", e.type().name().toLowerCase(Locale.ROOT));
            g.writeNumberField("seq", e.seq());
            g.writeNumberField("time_ms", e.timeMillis());
            optional(g, "channel", e.channel());
            optional(g, "user_id", e.userId());
            optional(g, "socket_id", e.socketId());
            if (e instanceof ServerEvent s) {
                g.writeStringField("event", s.event());
                data(g, s.data());
            } else if (e instanceof ClientEventSent c) {
                g.writeStringField("event", c.event());
                data(g, c.data());
            } else if (e instanceof MemberAdded m) {
                if (m.userInfoJson() != null) {
                    data(g, m.userInfoJson());
                }
            } else if (e instanceof SubscriptionCountChanged c) {
                g.writeNumberField("subscription_count", c.count());
            } else if (e instanceof WebhookSent w) {
                g.writeStringField("url", w.url());
                g.writeNumberField("status", w.status());
                optional(g, "error", w.error());
                g.writeNumberField("events", w.events());
                g.writeStringField("names", w.names());
            }
            g.writeEndObject();
        });
    }

    /** The marker sent in place of events a slow console could not take. */
    public static String dropped(long count) {
        return "{\"type\":\"dropped\",\"count\":" + count + "}";
    }

    private static void data(JsonGenerator g, String data) throws IOException {
        if (data.length() > MAX_DATA) {
            g.writeStringField("data", data.substring(0, MAX_DATA));
            g.writeNumberField("data_length", data.length());
        } else {
            g.writeStringField("data", data);
        }
    }

    private static void optional(JsonGenerator g, String name, String value) throws IOException {
        if (value != null) {
            g.writeStringField(name, value);
        }
    }
}
