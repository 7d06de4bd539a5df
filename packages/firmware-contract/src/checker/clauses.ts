/**
 * The clauses of docs/firmware-contract.md the conformance checker judges, in
 * the order the report lists them. Ids are the specification's clause numbers,
 * which are stable within v1, so a vendor can look each one up.
 *
 * `offline`: judged from a capture file; `live`: judged by `checkLive` (which
 * also judges everything in its own capture). Clauses about a gateway's
 * internals (1.1, 5.4, 7.1, …) cannot be seen from outside and are not here.
 */
export interface ClauseInfo {
  id: string;
  title: string;
  /** What the checker looks at, for the catalogue and `--help`. */
  checks: string;
  offline: boolean;
  live: boolean;
}

export const CLAUSES: readonly ClauseInfo[] = [
  {
    id: '1.4',
    title: 'No thing name in payloads',
    checks:
      'no payload holds the thing name as a value, nor an identity property (thingName, clientId, …); the thingName and shadowName AWS SDKs add to shadow requests are IoT Core’s, not the contract’s',
    offline: true,
    live: true,
  },
  {
    id: '2.2',
    title: 'Client id is the thing name',
    checks:
      'the client id of every connection and publish equals the thing name (offline only when the capture records client ids)',
    offline: true,
    live: true,
  },
  {
    id: '2.3',
    title: 'Keep-alive',
    checks:
      'live: the broker never closes the connection for a missed keep-alive (the value itself is not visible to a monitor)',
    offline: false,
    live: true,
  },
  {
    id: '2.4',
    title: 'Persistent session',
    checks:
      'live: whether the gateway resumes a persistent session (SHOULD); presence events do not carry it',
    offline: false,
    live: true,
  },
  {
    id: '2.5',
    title: 'Reconnect backoff',
    checks:
      'after a disconnect (forced by the checker) the gateway reconnects, not sooner than 1 s, and never twice within a second',
    offline: false,
    live: true,
  },
  {
    id: '3.1',
    title: 'Telegrams through Basic Ingest',
    checks:
      'telegram batches appear only on $aws/rules/zw_ingest/zw/v1/gw/{thing}/telegrams, never on another topic',
    offline: true,
    live: true,
  },
  {
    id: '3.2',
    title: 'QoS 1',
    checks: 'every publish uses QoS 1',
    offline: true,
    live: true,
  },
  {
    id: '3.3',
    title: 'Nothing retained',
    checks: 'no publish has the retain flag',
    offline: true,
    live: true,
  },
  {
    id: '3.4',
    title: 'Only the topic table, own thing',
    checks:
      "every publish is on a topic the gateway may publish on (topics/v1.json, direction up) with its own thing name; never another thing's topic or one the cloud publishes on",
    offline: true,
    live: true,
  },
  {
    id: '3.6',
    title: 'Event topic names the event',
    checks: 'the last level of an event topic equals the payload’s event',
    offline: true,
    live: true,
  },
  {
    id: '4.1',
    title: 'UTF-8 JSON objects, valid, contractVersion',
    checks:
      'every payload is one UTF-8 JSON object without byte-order mark, valid against its topic’s schema (validate()) and carrying "contractVersion": "1" (a shadow get may be empty); schema issues a more specific clause names (6.1, 9.1, 10.3, …) are reported there',
    offline: true,
    live: true,
  },
  {
    id: '4.2',
    title: 'No unknown properties',
    checks: 'no payload has a property its schema does not define (additionalProperties: false)',
    offline: true,
    live: true,
  },
  {
    id: '4.4',
    title: 'Payload sizes',
    checks: 'telegram batches at most 65 536 bytes, every other payload at most 8 192 bytes',
    offline: true,
    live: true,
  },
  {
    id: '5.1',
    title: 'Batching',
    checks: 'each batch holds 1–100 frames, at most 65 536 bytes, frames oldest first',
    offline: true,
    live: true,
  },
  {
    id: '5.2',
    title: 'Upload promptly',
    checks:
      'no live frame waits longer than uploadIntervalS (default 60 s, plus 10 s or 10 %) between its receivedAt and its batch’s publish; batches with replayed frames, resends, and frames with a shadow get or boot (a reconnect, 11.3) between them and their batch are not judged',
    offline: true,
    live: true,
  },
  {
    id: '5.3',
    title: 'Publish rate',
    checks:
      'at most 10 publishes within any second (from the capture times); more than one batch per second sustained is noted (SHOULD)',
    offline: true,
    live: true,
  },
  {
    id: '6.1',
    title: 'gatewaySeq present',
    checks: 'every batch carries gatewaySeq, an integer 0 … 2^53−1',
    offline: true,
    live: true,
  },
  {
    id: '6.2',
    title: 'gatewaySeq increases',
    checks:
      'each new batch has a larger gatewaySeq than every batch before; a number is never reused for a different batch (live: also across the forced disconnect)',
    offline: true,
    live: true,
  },
  {
    id: '7.2',
    title: 'Resends unchanged',
    checks:
      'a batch sent again under a gatewaySeq already used has the same frames (a number reused for frames that share none with the first batch is a 6.2 failure)',
    offline: true,
    live: true,
  },
  {
    id: '7.3',
    title: 'Replay',
    checks:
      'replayed frames carry their original receivedAt, earlier than their batch’s sentAt, and come oldest first; live: frames received while the checker held the gateway offline are sent after reconnecting, marked replayed, in new batches',
    offline: true,
    live: true,
  },
  {
    id: '8.1',
    title: 'UTC times',
    checks: 'every time in a payload is ISO 8601 UTC with a literal Z',
    offline: true,
    live: true,
  },
  {
    id: '9.1',
    title: 'Radio metadata',
    checks: 'every frame carries receivedAt, rssi (−150 … 0 dBm) and mode',
    offline: true,
    live: true,
  },
  {
    id: '9.2',
    title: 'Frame format',
    checks: 'frameFormat is A or B, and A for modes S and T',
    offline: true,
    live: true,
  },
  {
    id: '10.1',
    title: 'Frames as received, never decrypted',
    checks:
      'each frame is hex from the L field on; opened with the codec and no key, no frame that announces encryption carries a plaintext (2F2F) payload, and no meter that sends encrypted frames appears with an unencrypted one',
    offline: true,
    live: true,
  },
  {
    id: '10.2',
    title: 'CRC statement',
    checks:
      'crc is present or stripped, and true: stated CRCs check, and a frame said to be stripped does not still hold valid CRCs',
    offline: true,
    live: true,
  },
  {
    id: '10.3',
    title: 'L field fits the frame',
    checks: "each frame's L field fits its length for the stated crc and format (frameLength)",
    offline: true,
    live: true,
  },
  {
    id: '11.1',
    title: 'Gateway writes only the reported state',
    checks:
      'shadow updates write state.reported, never state.desired; clientTokens at most 64 bytes (a request without one is noted)',
    offline: true,
    live: true,
  },
  {
    id: '11.2',
    title: 'Configuration values',
    checks: 'the configuration keys of the reported state are within the limits of shadow-desired',
    offline: true,
    live: true,
  },
  {
    id: '11.3',
    title: 'Shadow get at every connect',
    checks: 'after every connect the checker sees, the gateway gets its shadow within the timeout',
    offline: false,
    live: true,
  },
  {
    id: '11.4',
    title: 'Whole reported state, configVersion',
    checks:
      'every reported state is whole (every required key), configVersion never goes back; live: a desired change is answered with the new configVersion and its values',
    offline: true,
    live: true,
  },
  {
    id: '11.5',
    title: 'Rejected configuration',
    checks:
      'after a config-rejected event the reported configVersion does not claim the rejected version; live: a rejection names the changed configVersion',
    offline: true,
    live: true,
  },
  {
    id: '12.1',
    title: 'Status messages',
    checks:
      'a status near every boot event and no gap longer than statusIntervalS (default 3600 s); live: a status after every connect within the timeout',
    offline: true,
    live: true,
  },
  {
    id: '12.2',
    title: 'Events',
    checks:
      'every event is a known one with its details, or a vendor event starting x- (gateway-event schema)',
    offline: true,
    live: true,
  },
];

const BY_ID = new Map(CLAUSES.map((clause) => [clause.id, clause]));

/** The catalogue entry of a clause; throws for an id the checker does not judge. */
export function clauseInfo(id: string): ClauseInfo {
  const clause = BY_ID.get(id);
  if (clause === undefined) throw new RangeError(`the checker does not judge clause ${id}`);
  return clause;
}
