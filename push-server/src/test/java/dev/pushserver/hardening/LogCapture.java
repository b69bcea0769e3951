package dev.pushserver.hardening;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.LoggerFactory;

/** Collects the server's log events in-process (logback root appender) while it is open. */
public final class LogCapture implements AutoCloseable {

    private final List<ILoggingEvent> events = new CopyOnWriteArrayList<>();
    private final Logger root;
    private final AppenderBase<ILoggingEvent> appender;

    private LogCapture() {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        root = ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        appender = new AppenderBase<>() {
            @Override
            protected void append(ILoggingEvent e) {
                e.prepareForDeferredProcessing();
                events.add(e);
            }
        };
        appender.setContext(ctx);
        appender.setName("hardening-capture");
        appender.start();
        root.addAppender(appender);
    }

    public static LogCapture start() {
        return new LogCapture();
    }

    /** The server's events so far (loggers under dev.pushserver, outside this test package). */
    public List<ILoggingEvent> serverEvents() {
        return events.stream()
                .filter(e -> e.getLoggerName().startsWith("dev.pushserver")
                        && !e.getLoggerName().startsWith("dev.pushserver.hardening"))
                .toList();
    }

    /** Every captured event, any logger. */
    public List<ILoggingEvent> all() {
        return List.copyOf(events);
    }

    void clear() {
        events.clear();
    }

    /** The event as a log file would show it: "LEVEL logger - message", then the stack trace if any. */
    public static String render(ILoggingEvent e) {
        StringBuilder sb = new StringBuilder().append(e.getLevel()).append(' ').append(e.getLoggerName())
                .append(" - ").append(e.getFormattedMessage()).append('\n');
        if (e.getThrowableProxy() != null) {
            sb.append(ThrowableProxyUtil.asString(e.getThrowableProxy())).append('\n');
        }
        return sb.toString();
    }

    static boolean atLeast(ILoggingEvent e, Level level) {
        return e.getLevel().isGreaterOrEqual(level);
    }

    @Override
    public void close() {
        root.detachAppender(appender);
        appender.stop();
    }
}
