/** Seconds to wait for a backend's health check before giving up (heavy images load engines at start). */
export const DEFAULT_HEALTH_TIMEOUT_S = 300;
