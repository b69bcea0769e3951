package dev.pushserver.client.socket;

import java.math.BigInteger;
import java.security.MessageDigest;
import java.util.Arrays;

/**
 * NaCl's {@code crypto_secretbox_open} (XSalsa20 + Poly1305), which Pusher's end-to-end encrypted channels use: a
 * message is {@code {"nonce": base64(24 bytes), "ciphertext": base64(16-byte tag + encrypted bytes)}} under the
 * channel's 32-byte shared secret. Written here so that push-client needs no crypto library; it only opens boxes.
 */
final class SecretBox {

    private static final int[] SIGMA = {0x61707865, 0x3320646e, 0x79622d32, 0x6b206574}; // "expand 32-byte k"
    private static final BigInteger P = BigInteger.ONE.shiftLeft(130).subtract(BigInteger.valueOf(5));
    private static final BigInteger CLAMP = new BigInteger("0ffffffc0ffffffc0ffffffc0fffffff", 16);
    private static final BigInteger MOD128 = BigInteger.ONE.shiftLeft(128);

    private SecretBox() {
    }

    /** The plaintext, or null when the box does not verify (wrong key, tampered or truncated). */
    static byte[] open(byte[] box, byte[] nonce, byte[] key) {
        if (box.length < 16 || nonce.length != 24 || key.length != 32) {
            return null;
        }
        byte[] subkey = hsalsa20(key, Arrays.copyOfRange(nonce, 0, 16));
        byte[] n8 = Arrays.copyOfRange(nonce, 16, 24);
        int length = box.length - 16;
        byte[] stream = salsa20Stream(subkey, n8, 32 + length);
        byte[] tag = poly1305(Arrays.copyOfRange(box, 16, box.length), Arrays.copyOfRange(stream, 0, 32));
        if (!MessageDigest.isEqual(tag, Arrays.copyOfRange(box, 0, 16))) {
            return null;
        }
        byte[] out = new byte[length];
        for (int i = 0; i < length; i++) {
            out[i] = (byte) (box[16 + i] ^ stream[32 + i]);
        }
        return out;
    }

    private static int load(byte[] b, int off) {
        return (b[off] & 0xff) | (b[off + 1] & 0xff) << 8 | (b[off + 2] & 0xff) << 16 | (b[off + 3] & 0xff) << 24;
    }

    private static void store(byte[] b, int off, int v) {
        b[off] = (byte) v;
        b[off + 1] = (byte) (v >>> 8);
        b[off + 2] = (byte) (v >>> 16);
        b[off + 3] = (byte) (v >>> 24);
    }

    /** 20 rounds (10 double rounds) over {@code x}, in place. */
    private static void rounds(int[] x) {
        for (int i = 0; i < 10; i++) {
            // columns
            qr(x, 0, 4, 8, 12);
            qr(x, 5, 9, 13, 1);
            qr(x, 10, 14, 2, 6);
            qr(x, 15, 3, 7, 11);
            // rows
            qr(x, 0, 1, 2, 3);
            qr(x, 5, 6, 7, 4);
            qr(x, 10, 11, 8, 9);
            qr(x, 15, 12, 13, 14);
        }
    }

    private static void qr(int[] x, int a, int b, int c, int d) {
        x[b] ^= Integer.rotateLeft(x[a] + x[d], 7);
        x[c] ^= Integer.rotateLeft(x[b] + x[a], 9);
        x[d] ^= Integer.rotateLeft(x[c] + x[b], 13);
        x[a] ^= Integer.rotateLeft(x[d] + x[c], 18);
    }

    private static int[] state(byte[] key, byte[] in16) {
        int[] s = new int[16];
        s[0] = SIGMA[0];
        s[5] = SIGMA[1];
        s[10] = SIGMA[2];
        s[15] = SIGMA[3];
        for (int i = 0; i < 4; i++) {
            s[1 + i] = load(key, 4 * i);
            s[11 + i] = load(key, 16 + 4 * i);
            s[6 + i] = load(in16, 4 * i);
        }
        return s;
    }

    /** HSalsa20: the XSalsa20 subkey of {@code key} for the first 16 nonce bytes. */
    static byte[] hsalsa20(byte[] key, byte[] nonce16) {
        int[] x = state(key, nonce16);
        rounds(x);
        byte[] out = new byte[32];
        int[] pick = {0, 5, 10, 15, 6, 7, 8, 9};
        for (int i = 0; i < 8; i++) {
            store(out, 4 * i, x[pick[i]]);
        }
        return out;
    }

    /** {@code length} bytes of Salsa20 keystream for {@code key} and an 8-byte nonce, from block 0. */
    static byte[] salsa20Stream(byte[] key, byte[] nonce8, int length) {
        byte[] out = new byte[length];
        byte[] in = new byte[16];
        System.arraycopy(nonce8, 0, in, 0, 8);
        byte[] block = new byte[64];
        for (long counter = 0, pos = 0; pos < length; counter++, pos += 64) {
            for (int i = 0; i < 8; i++) {
                in[8 + i] = (byte) (counter >>> (8 * i));
            }
            int[] s = state(key, in);
            int[] x = s.clone();
            rounds(x);
            for (int i = 0; i < 16; i++) {
                store(block, 4 * i, x[i] + s[i]);
            }
            System.arraycopy(block, 0, out, (int) pos, (int) Math.min(64, length - pos));
        }
        return out;
    }

    /** Poly1305 of {@code message} under a one-time 32-byte key. */
    static byte[] poly1305(byte[] message, byte[] key) {
        BigInteger r = le(Arrays.copyOfRange(key, 0, 16)).and(CLAMP);
        BigInteger s = le(Arrays.copyOfRange(key, 16, 32));
        BigInteger acc = BigInteger.ZERO;
        for (int off = 0; off < message.length; off += 16) {
            int n = Math.min(16, message.length - off);
            byte[] chunk = new byte[n + 1];
            System.arraycopy(message, off, chunk, 0, n);
            chunk[n] = 1;
            acc = acc.add(le(chunk)).multiply(r).mod(P);
        }
        byte[] tag = new byte[16];
        BigInteger t = acc.add(s).mod(MOD128);
        byte[] be = t.toByteArray();
        for (int i = 0; i < 16 && i < be.length; i++) {
            tag[i] = be[be.length - 1 - i];
        }
        return tag;
    }

    private static BigInteger le(byte[] b) {
        byte[] be = new byte[b.length + 1];
        for (int i = 0; i < b.length; i++) {
            be[b.length - i] = b[i];
        }
        return new BigInteger(be);
    }
}
