package dev.pushserver.image;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/** Reads a tar stream (ustar headers, PAX path records): entries with mode and owner, and the bytes of chosen files. */
final class TarFile {

    record Entry(String name, char type, int mode, int uid, int gid, long size) {
        boolean isDirectory() {
            return type == '5';
        }
    }

    final List<Entry> entries = new ArrayList<>();
    final Map<String, byte[]> contents = new LinkedHashMap<>();

    /** Reads all of {@code in}; keeps the bytes of the regular files whose normalized name {@code keep} accepts. */
    static TarFile read(InputStream in, Predicate<String> keep) throws IOException {
        TarFile tar = new TarFile();
        String paxPath = null;
        byte[] header = new byte[512];
        while (in.readNBytes(header, 0, 512) == 512) {
            if (isZero(header)) {
                break;
            }
            String name = string(header, 0, 100);
            String prefix = string(header, 345, 155);
            if (!prefix.isEmpty()) {
                name = prefix + "/" + name;
            }
            char type = header[156] == 0 ? '0' : (char) header[156];
            long size = octal(header, 124, 12);
            byte[] data = null;
            boolean wanted = type == 'x' || type == 'L' || (type == '0' && keep.test(normalize(name)));
            if (wanted) {
                data = in.readNBytes((int) size);
            } else {
                in.skipNBytes(size);
            }
            long pad = (512 - size % 512) % 512;
            in.skipNBytes(pad);
            if (type == 'x') {
                paxPath = paxValue(new String(data, StandardCharsets.UTF_8), "path");
                continue;
            }
            if (type == 'L') {
                paxPath = new String(data, StandardCharsets.UTF_8).replace("\0", "");
                continue;
            }
            if (paxPath != null) {
                name = paxPath;
                paxPath = null;
            }
            String n = normalize(name);
            tar.entries.add(new Entry(n, type, (int) octal(header, 100, 8), (int) octal(header, 108, 8),
                    (int) octal(header, 116, 8), size));
            if (data != null && type == '0' && keep.test(n)) {
                tar.contents.put(n, data);
            }
        }
        return tar;
    }

    Entry entry(String name) {
        String n = normalize(name);
        return entries.stream().filter(e -> e.name().equals(n)).reduce((a, b) -> b).orElse(null);
    }

    /** "/opt/java/" and "./opt/java" both as "/opt/java". */
    static String normalize(String name) {
        String n = name.startsWith("./") ? name.substring(1) : name;
        n = n.startsWith("/") ? n : "/" + n;
        return n.length() > 1 && n.endsWith("/") ? n.substring(0, n.length() - 1) : n;
    }

    private static String paxValue(String records, String key) {
        for (String line : records.split("\n")) {
            int space = line.indexOf(' ');
            int eq = line.indexOf('=');
            if (space > 0 && eq > space && line.substring(space + 1, eq).equals(key)) {
                return line.substring(eq + 1);
            }
        }
        return null;
    }

    private static boolean isZero(byte[] b) {
        for (byte x : b) {
            if (x != 0) {
                return false;
            }
        }
        return true;
    }

    private static String string(byte[] b, int off, int len) {
        int end = off;
        while (end < off + len && b[end] != 0) {
            end++;
        }
        return new String(b, off, end - off, StandardCharsets.UTF_8);
    }

    private static long octal(byte[] b, int off, int len) {
        String s = string(b, off, len).trim();
        return s.isEmpty() ? 0 : Long.parseLong(s, 8);
    }
}
