package dev.pushserver.transport;

import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.ssl.SslHandshakeCompletionEvent;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Right behind the TLS handler: a client that speaks plain HTTP to a TLS port, or whose handshake fails or times
 * out, is closed with one debug line, without a stack trace; a TLS error later in a connection closes it quietly
 * too (the peer is broken or gone: there is nothing to tell it).
 */
@ChannelHandler.Sharable
final class TlsFailures extends ChannelInboundHandlerAdapter {

    private static final Logger log = LoggerFactory.getLogger(TlsFailures.class);

    static final TlsFailures INSTANCE = new TlsFailures();

    private TlsFailures() {
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof SslHandshakeCompletionEvent done) {
            if (!done.isSuccess()) {
                log.debug("{}: TLS handshake failed: {}", ctx.channel().remoteAddress(), done.cause().toString());
                ctx.close();
            }
            return;
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) throws Exception {
        Throwable tls = cause instanceof DecoderException && cause.getCause() != null ? cause.getCause() : cause;
        if (tls instanceof SSLException) {
            ctx.close(); // the handshake event above says why, if it was the handshake
            return;
        }
        super.exceptionCaught(ctx, cause);
    }
}
