package dev.pushserver.transport;

import dev.pushserver.config.ConfigException;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The I/O engine under the event loops, from the {@code transport} key: {@code io_uring}, {@code epoll} (Linux
 * native), {@code nio} (the JDK's, anywhere), or {@code auto}, the best one that works here. A named engine that
 * cannot load stops the start; {@code auto} falls back and says why in one line.
 */
record IoTransport(String name, IoHandlerFactory handlers, Class<? extends ServerChannel> serverChannel) {

    private static final Logger log = LoggerFactory.getLogger(IoTransport.class);

    static IoTransport choose(String wanted) {
        switch (wanted) {
            case "io_uring" -> {
                require("io_uring", IoUring.isAvailable(), IoUring.unavailabilityCause());
                return ioUring();
            }
            case "epoll" -> {
                require("epoll", Epoll.isAvailable(), Epoll.unavailabilityCause());
                return epoll();
            }
            case "nio" -> {
                return nio();
            }
            case "auto" -> {
                if (Epoll.isAvailable()) {
                    return epoll();
                }
                if (IoUring.isAvailable()) {
                    log.info("transport: epoll is unavailable here ({}); using io_uring", cause(Epoll.unavailabilityCause()));
                    return ioUring();
                }
                log.info("transport: neither epoll nor io_uring loads here ({}); using Java NIO",
                        cause(Epoll.unavailabilityCause()));
                return nio();
            }
            default -> throw new ConfigException("config key transport: '" + wanted
                    + "' must be auto, io_uring, epoll or nio");
        }
    }

    private static IoTransport ioUring() {
        return new IoTransport("io_uring", IoUringIoHandler.newFactory(), IoUringServerSocketChannel.class);
    }

    private static IoTransport epoll() {
        return new IoTransport("epoll", EpollIoHandler.newFactory(), EpollServerSocketChannel.class);
    }

    private static IoTransport nio() {
        return new IoTransport("nio", NioIoHandler.newFactory(), NioServerSocketChannel.class);
    }

    private static void require(String name, boolean available, Throwable cause) {
        if (!available) {
            throw new ConfigException("config key transport: " + name + " is not available on this machine ("
                    + cause(cause) + "); use transport: auto or nio");
        }
    }

    private static String cause(Throwable t) {
        return t == null ? "unknown reason" : String.valueOf(t.getMessage() != null ? t.getMessage() : t);
    }
}
