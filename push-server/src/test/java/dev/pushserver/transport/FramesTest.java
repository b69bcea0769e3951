package dev.pushserver.transport;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class FramesTest {

    @Test
    void longCloseReasonsAreCutToFitAControlFrameWithoutSplittingCharacters() {
        String reason = "Invalid signature: Expected HMAC SHA256 hex digest of 123.456::user::{\"id\":\"ü\"}, "
                + "but got " + "é".repeat(100);
        CloseWebSocketFrame f = Frames.close(4009, reason);
        try {
            assertThat(f.statusCode()).isEqualTo(4009);
            assertThat(f.content().readableBytes()).isLessThanOrEqualTo(125);
            assertThat(reason).startsWith(f.reasonText());
            assertThat(f.reasonText().getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(123);
        } finally {
            f.release();
        }
        CloseWebSocketFrame shortOne = Frames.close(4200, "Server is shutting down; reconnect");
        assertThat(shortOne.reasonText()).isEqualTo("Server is shutting down; reconnect");
        shortOne.release();
    }

    @Test
    void textFramesUseTheShortestLengthEncoding() {
        for (int len : new int[] {0, 125, 126, 65535, 65536}) {
            ByteBuf b = Frames.text(UnpooledByteBufAllocator.DEFAULT, new byte[len]);
            int header = len < 126 ? 2 : len <= 65535 ? 4 : 10;
            assertThat(b.readableBytes()).isEqualTo(header + len);
            assertThat(b.getUnsignedByte(0)).isEqualTo((short) 0x81);
            b.release();
        }
    }
}
