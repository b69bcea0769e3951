package dev.pushserver.transport;

import dev.pushserver.config.ConfigException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a PEM certificate chain and its private key (the {@code tls_cert} / {@code tls_key} files) into JDK objects,
 * the same for both TLS providers. Keys: unencrypted RSA or EC, as PKCS#8 ({@code BEGIN PRIVATE KEY}, what
 * {@code openssl genpkey} and certbot write), PKCS#1 ({@code BEGIN RSA PRIVATE KEY}) or SEC1
 * ({@code BEGIN EC PRIVATE KEY}, cert-manager's default encodings); the last two are re-wrapped as PKCS#8 here,
 * since Netty itself reads PKCS#8 only. Anything else fails with a message that says how to convert the key. Also
 * checks that the key belongs to the first certificate, which Netty does not: a mismatched pair would otherwise
 * only fail in every client's handshake.
 */
final class PemFiles {

    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \\1-----", Pattern.DOTALL);
    private static final String TO_PKCS8 = "openssl pkcs8 -topk8 -nocrypt -in %s -out key-pkcs8.pem";
    /** DER of AlgorithmIdentifier { rsaEncryption, NULL } */
    private static final byte[] RSA_ALGORITHM = {0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86,
            (byte) 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00};
    /** DER of the OID id-ecPublicKey (1.2.840.10045.2.1) */
    private static final byte[] EC_PUBLIC_KEY_OID = {0x06, 0x07, 0x2a, (byte) 0x86, 0x48, (byte) 0xce, 0x3d, 0x02,
            0x01};

    private PemFiles() {
    }

    /** A certificate chain (leaf first) and the leaf's private key. */
    record Pair(X509Certificate[] chain, PrivateKey key) {
        X509Certificate leaf() {
            return chain[0];
        }
    }

    /** Reads and checks both files' contents; {@code certPath} / {@code keyPath} only name them in messages. */
    static Pair read(byte[] certPem, Path certPath, byte[] keyPem, Path keyPath) {
        X509Certificate[] chain = certificates(certPem, certPath);
        PrivateKey key = privateKey(keyPem, keyPath);
        checkPair(chain[0], key, certPath, keyPath);
        return new Pair(chain, key);
    }

    static X509Certificate[] certificates(byte[] pem, Path path) {
        List<X509Certificate> chain = new ArrayList<>();
        Matcher m = BLOCK.matcher(new String(pem, StandardCharsets.US_ASCII));
        try {
            CertificateFactory factory = CertificateFactory.getInstance("X.509");
            while (m.find()) {
                if (m.group(1).equals("CERTIFICATE")) {
                    byte[] der = base64(m.group(2), "tls_cert", path);
                    chain.add((X509Certificate) factory.generateCertificate(new ByteArrayInputStream(der)));
                }
            }
        } catch (CertificateException e) {
            throw new ConfigException("config key tls_cert: " + path + " holds a certificate that cannot be read ("
                    + e.getMessage() + "); it should be a PEM certificate chain, the server's certificate first");
        }
        if (chain.isEmpty()) {
            throw new ConfigException("config key tls_cert: " + path + " holds no PEM certificate (-----BEGIN "
                    + "CERTIFICATE-----); it should be the server's certificate chain, e.g. certbot's fullchain.pem");
        }
        return chain.toArray(X509Certificate[]::new);
    }

    static PrivateKey privateKey(byte[] pem, Path path) {
        String text = new String(pem, StandardCharsets.US_ASCII);
        Matcher m = BLOCK.matcher(text);
        while (m.find()) {
            String label = m.group(1);
            if (!label.endsWith("PRIVATE KEY")) {
                continue;
            }
            String body = m.group(2);
            if (body.contains("ENCRYPTED") || label.startsWith("ENCRYPTED")) {
                throw new ConfigException("config key tls_key: " + path + " is an encrypted private key, which is not "
                        + "supported; write it unencrypted (and keep the file private): "
                        + String.format(TO_PKCS8, path));
            }
            byte[] der = base64(body, "tls_key", path);
            return switch (label) {
                case "PRIVATE KEY" -> pkcs8(der, path, "PKCS#8");
                case "RSA PRIVATE KEY" -> pkcs8(sequence(concat(new byte[] {0x02, 0x01, 0x00}, RSA_ALGORITHM,
                        tlv(0x04, der))), path, "PKCS#1 (RSA PRIVATE KEY)");
                case "EC PRIVATE KEY" -> pkcs8(sequence(concat(new byte[] {0x02, 0x01, 0x00},
                        sequence(concat(EC_PUBLIC_KEY_OID, sec1Curve(der, path))), tlv(0x04, der))), path,
                        "SEC1 (EC PRIVATE KEY)");
                default -> throw new ConfigException("config key tls_key: " + path + " is a '" + label + "', which is "
                        + "not supported (RSA or EC keys only, as PKCS#8, PKCS#1 or SEC1 PEM); convert it: "
                        + String.format(TO_PKCS8, path));
            };
        }
        throw new ConfigException("config key tls_key: " + path + " holds no PEM private key (-----BEGIN PRIVATE "
                + "KEY-----); it should be the unencrypted private key of the certificate in tls_cert");
    }

    private static PrivateKey pkcs8(byte[] der, Path path, String format) {
        for (String algorithm : new String[] {"RSA", "EC"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // try the next algorithm
            }
        }
        throw new ConfigException("config key tls_key: " + path + " is not a readable RSA or EC private key in "
                + format + " PEM: a damaged file, or another key type (Ed25519 and DSA keys are not supported); an "
                + "RSA or EC key in another encoding converts with: " + String.format(TO_PKCS8, path));
    }

    /** The named-curve OID (as DER) from a SEC1 ECPrivateKey's parameters [0]; OpenSSL always writes it. */
    private static byte[] sec1Curve(byte[] der, Path path) {
        try {
            Der outer = new Der(der, 0);
            Der field = outer.first(); // version
            while ((field = field.next(outer)) != null) {
                if (field.tag == 0xa0) {
                    Der oid = field.first();
                    if (oid.tag == 0x06) {
                        return java.util.Arrays.copyOfRange(der, oid.start, oid.end);
                    }
                }
            }
        } catch (RuntimeException e) {
            // fall through to the message
        }
        throw new ConfigException("config key tls_key: " + path + " is an EC PRIVATE KEY without a named curve or "
                + "is damaged; convert it: " + String.format(TO_PKCS8, path));
    }

    /** Signs with the key and verifies with the certificate: both must belong together. */
    static void checkPair(X509Certificate leaf, PrivateKey key, Path certPath, Path keyPath) {
        String algorithm = key.getAlgorithm().equals("EC") ? "SHA256withECDSA" : "SHA256withRSA";
        boolean match;
        try {
            byte[] probe = "push-server key check".getBytes(StandardCharsets.US_ASCII);
            Signature signer = Signature.getInstance(algorithm);
            signer.initSign(key);
            signer.update(probe);
            byte[] signature = signer.sign();
            Signature verifier = Signature.getInstance(algorithm);
            verifier.initVerify(leaf.getPublicKey());
            verifier.update(probe);
            match = verifier.verify(signature);
        } catch (GeneralSecurityException e) {
            match = false; // e.g. an EC key against an RSA certificate
        }
        if (!match) {
            throw new ConfigException("config keys tls_cert and tls_key: the private key in " + keyPath
                    + " does not belong to the first certificate in " + certPath + " ("
                    + leaf.getSubjectX500Principal().getName() + "); the certificate file must start with the "
                    + "server's own certificate, and both files must be from the same issuance");
        }
    }

    private static byte[] base64(String body, String key, Path path) {
        try {
            return Base64.getMimeDecoder().decode(body.trim());
        } catch (IllegalArgumentException e) {
            throw new ConfigException("config key " + key + ": " + path + " has a damaged PEM block ("
                    + e.getMessage() + ")");
        }
    }

    private static byte[] sequence(byte[] content) {
        return tlv(0x30, content);
    }

    private static byte[] tlv(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 6);
        out.write(tag);
        int n = content.length;
        if (n < 0x80) {
            out.write(n);
        } else {
            int bytes = n > 0xffffff ? 4 : n > 0xffff ? 3 : n > 0xff ? 2 : 1;
            out.write(0x80 | bytes);
            for (int i = bytes - 1; i >= 0; i--) {
                out.write(n >>> (8 * i));
            }
        }
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** One DER element: tag, and where its content starts and ends in the buffer. Just enough to walk SEC1. */
    private static final class Der {
        final byte[] buf;
        final int tag;
        final int start;
        final int contentStart;
        final int end;

        Der(byte[] buf, int at) {
            this.buf = buf;
            this.start = at;
            this.tag = buf[at] & 0xff;
            int len = buf[at + 1] & 0xff;
            int pos = at + 2;
            if (len >= 0x80) {
                int bytes = len & 0x7f;
                if (bytes == 0 || bytes > 3) {
                    throw new IllegalArgumentException("unsupported DER length");
                }
                len = 0;
                for (int i = 0; i < bytes; i++) {
                    len = (len << 8) | (buf[pos++] & 0xff);
                }
            }
            this.contentStart = pos;
            this.end = pos + len;
            if (end > buf.length) {
                throw new IllegalArgumentException("truncated DER");
            }
        }

        Der first() {
            return new Der(buf, contentStart);
        }

        /** The element after this one inside {@code parent}, or null. */
        Der next(Der parent) {
            return end < parent.end ? new Der(buf, end) : null;
        }
    }
}
