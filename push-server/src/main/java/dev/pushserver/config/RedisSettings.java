package dev.pushserver.config;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Redis, when the deployment has one: then this process is a node of a cluster, whose shared state, messages
 * between nodes and hook queue live in Redis.
 *
 * @param url                {@code redis://[:password@]host[:port][/database]} or {@code rediss://} for TLS, several
 *                           comma-separated for a Redis Cluster's seed nodes; null: no Redis (one node, in-memory
 *                           state, hook events in SQLite only)
 * @param prefix             put before every key and pub/sub channel, so that several deployments share one Redis
 * @param nodeId             this node's name in the cluster (unique per node)
 * @param nodeTimeoutSeconds a node whose heartbeat is older than this is dead: the others remove its connections
 * @param cluster            a Redis Cluster (also when {@code url} lists several nodes)
 */
public record RedisSettings(String url, String prefix, String nodeId, int nodeTimeoutSeconds, boolean cluster) {

    public RedisSettings(String url, String prefix) {
        this(url, prefix, generatedNodeId(), 10, false);
    }

    public boolean enabled() {
        return url != null;
    }

    /** Redis Cluster: asked for, or several seed URLs given. */
    public boolean isCluster() {
        return cluster || (url != null && url.contains(","));
    }

    /** The seed URLs (one unless a Redis Cluster lists several). */
    public List<String> urls() {
        return Arrays.stream(url.split(",")).map(String::trim).filter(u -> !u.isEmpty()).toList();
    }

    /** The URL without its password, for logs and errors. */
    public String safeUrl() {
        return url == null ? "" : safeUrl(url);
    }

    /** {@code url} (one or several, comma-separated) without passwords. */
    public static String safeUrl(String url) {
        return url.replaceAll("//[^@/,]*@", "//***@");
    }

    /** host name (up to 24 characters) plus 8 random hex digits: unique per start. */
    public static String generatedNodeId() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName().replaceAll("[^A-Za-z0-9_.-]", "");
        } catch (Exception e) {
            host = "node";
        }
        if (host.isEmpty()) {
            host = "node";
        }
        if (host.length() > 24) {
            host = host.substring(0, 24);
        }
        return host + "-" + String.format("%08x", ThreadLocalRandom.current().nextInt());
    }
}
