package dev.pushserver.config;

/** Invalid configuration: the message names the offending key and says what is expected. */
public final class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }
}
