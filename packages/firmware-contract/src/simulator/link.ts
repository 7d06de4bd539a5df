/**
 * One connection to the broker as the gateway uses it. A connection is
 * given to the gateway when its CONNACK arrives and taken away when it
 * ends; the transport behind it (the emulator or AWS over MQTT, or nothing
 * at all offline) is not the gateway's business.
 */
export interface Link {
  /** QoS 1, never retained: resolves on PUBACK, rejects when the connection ends first. */
  publish(topic: string, payload: string): Promise<void>;
  /** Subscribes with QoS 1; resolves with the filters the broker refused. */
  subscribe(filters: readonly string[]): Promise<string[]>;
}

/** The offline transport's connection: every publish is acknowledged at once. */
export const OFFLINE_LINK: Link = {
  publish: () => Promise.resolve(),
  subscribe: () => Promise.resolve([]),
};
