/**
 * IoT Core's shared subscriptions (IOT-CORE.md §1.7), which aedes 1.x lacks:
 * `$share/{ShareName}/{TopicFilter}`. Every group (share name and filter)
 * gets one copy of each matching message and hands it to ONE online member,
 * round robin; a QoS 1 copy stays the group's until that member acknowledges
 * it. A member whose connection ends with copies unacknowledged loses them to
 * the group again, which gives them to another online member, or keeps them
 * until a member connects when one of them has a persistent session. The
 * broker adapts its connections to `MemberLink`; nothing here knows aedes.
 */

/** A `$share/...` subscription, split. */
export interface SharedFilter {
  shareName: string;
  filter: string;
}

/** §1.7: "ShareName ≤ 128 chars and may not contain `/`, `+` or `#`". */
export const MAX_SHARE_NAME_LENGTH = 128;

/**
 * §1.3: at most 100 unacknowledged outbound QoS 1 publishes per client; a
 * member that has that many gets nothing more until it acknowledges.
 */
export const MAX_IN_FLIGHT_PER_MEMBER = 100;

/** Splits `$share/<name>/<filter>`; null for a subscription that is not shared. */
export function parseSharedFilter(subscription: string): SharedFilter | null {
  if (!subscription.startsWith('$share/')) return null;
  const rest = subscription.slice('$share/'.length);
  const slash = rest.indexOf('/');
  if (slash < 0) return { shareName: rest, filter: '' };
  return { shareName: rest.slice(0, slash), filter: rest.slice(slash + 1) };
}

/** Why a shared subscription is malformed (§1.7), or null when it is well formed. */
export function sharedFilterProblem(shared: SharedFilter): string | null {
  const { shareName, filter } = shared;
  if (shareName.length === 0 || shareName.length > MAX_SHARE_NAME_LENGTH) {
    return `share name must be 1-${MAX_SHARE_NAME_LENGTH} characters, got ${shareName.length}`;
  }
  if (/[/+#]/.test(shareName)) return `share name '${shareName}' contains '/', '+' or '#'`;
  if (filter.length === 0) return 'shared subscription without a topic filter';
  if (filter.startsWith('$share/')) return 'a shared subscription cannot share another';
  return null;
}

/**
 * MQTT matching as IoT Core does it: `+` is one level, a trailing `#` one or
 * more levels (`a/#` does not match `a`, §1.2), and a filter starting with a
 * wildcard never matches a topic starting with `$` [MQTT-4.7.2-1].
 */
export function topicMatchesFilter(filter: string, topic: string): boolean {
  const f = filter.split('/');
  const t = topic.split('/');
  if (topic.startsWith('$') && (f[0] === '+' || f[0] === '#')) return false;
  for (let i = 0; i < f.length; i++) {
    const level = f[i];
    if (level === '#') return i === f.length - 1 && t.length > i;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return f.length === t.length;
}

/** One connection of a member, as the broker offers it. */
export interface MemberLink {
  readonly clientId: string;
  /**
   * Whether a delivery of this topic may go out now: iot:Receive on the topic
   * (§1.11, checked per delivery) and the connection's publish quota (§1.3,
   * one publish taken when it answers 'ok').
   */
  admit(topic: string): 'ok' | 'not-authorized' | 'rate-exceeded';
  /** A packet id not in use on this connection. */
  nextMessageId(): number;
  /** Writes the PUBLISH; with a packet id for QoS 1. */
  send(message: { topic: string; payload: Buffer; qos: 0 | 1; messageId?: number }): void;
}

export interface SharedMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
}

export interface SharedSubscriptionEvent {
  code: 'NOT_AUTHORIZED' | 'SHARED_MESSAGE_DROPPED';
  clientId: string;
  message: string;
}

export interface SharedGroupMember {
  clientId: string;
  online: boolean;
  /** The member's session outlives its connection (clean session 0). */
  persistent: boolean;
  /** Copies sent to it and not yet acknowledged. */
  inFlight: number;
  /** Copies it has acknowledged (QoS 1) or been sent (QoS 0), over the router's life. */
  delivered: number;
}

export interface SharedGroup {
  shareName: string;
  filter: string;
  members: SharedGroupMember[];
  /** Copies waiting for a member. */
  queued: number;
}

export interface SharedSubscriptionsOptions {
  onEvent?: (event: SharedSubscriptionEvent) => void;
  /** Default MAX_IN_FLIGHT_PER_MEMBER. */
  maxInFlightPerMember?: number;
  /** How soon a group whose members were all over their publish quota is tried again. */
  retryMs?: number;
}

export interface SharedSubscriptions {
  /** A SUBSCRIBE to `$share/...` that the broker allowed. */
  subscribe(link: MemberLink, shared: SharedFilter, qos: 0 | 1, persistent: boolean): void;
  /** An UNSUBSCRIBE, or the end of a clean session. */
  unsubscribe(clientId: string, shared: SharedFilter): void;
  /**
   * A connection is ready (after its CONNACK). A persistent session's
   * memberships come back with it; a clean session starts without any.
   */
  online(link: MemberLink, persistent: boolean): void;
  /** A connection ended: its unacknowledged copies go back to their groups. */
  offline(link: MemberLink): void;
  /** A PUBACK from the member's connection. */
  acknowledged(link: MemberLink, messageId: number): void;
  /** A message published on the broker: each matching group gets one copy. */
  publish(message: SharedMessage): void;
  /**
   * As `publish`, and resolves once every group's copy has been acknowledged
   * by one of its members. A message no group matches waits for the first
   * group that does. Rejects after `timeoutMs` (copies not yet sent are
   * withdrawn) or when the router closes.
   */
  publishAcknowledged(message: SharedMessage, timeoutMs: number): Promise<void>;
  groups(): SharedGroup[];
  /** Rejects every waiting `publishAcknowledged`; the broker is going away. */
  close(): void;
}

interface Member {
  clientId: string;
  qos: 0 | 1;
  persistent: boolean;
  link: MemberLink | null;
  delivered: number;
}

interface Waiter {
  pending: number;
  settled: boolean;
  resolve(): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

interface Copy {
  message: SharedMessage;
  group: Group;
  waiter: Waiter | null;
}

interface Group {
  key: string;
  shareName: string;
  filter: string;
  members: Map<string, Member>;
  queue: Copy[];
  /** Where the next round of the round robin starts. */
  next: number;
}

const DEFAULT_RETRY_MS = 100;

/** See the top of this file. */
export function createSharedSubscriptions(
  options: SharedSubscriptionsOptions = {},
): SharedSubscriptions {
  const maxInFlight = options.maxInFlightPerMember ?? MAX_IN_FLIGHT_PER_MEMBER;
  const retryMs = options.retryMs ?? DEFAULT_RETRY_MS;
  const emit = (event: SharedSubscriptionEvent) => options.onEvent?.(event);
  const groups = new Map<string, Group>();
  const inFlight = new Map<MemberLink, Map<number, Copy>>();
  /** Awaited messages no group matched yet. */
  let unclaimed: { message: SharedMessage; waiter: Waiter }[] = [];
  const waiters = new Set<Waiter>();
  let retryTimer: NodeJS.Timeout | null = null;
  let closed = false;

  const keyOf = (shared: SharedFilter) => `${shared.shareName}\u0000${shared.filter}`;

  function settleCopy(copy: Copy): void {
    const waiter = copy.waiter;
    if (waiter === null || waiter.settled) return;
    waiter.pending -= 1;
    if (waiter.pending === 0) {
      waiter.settled = true;
      clearTimeout(waiter.timer);
      waiters.delete(waiter);
      waiter.resolve();
    }
  }

  function inFlightOf(link: MemberLink): Map<number, Copy> {
    let copies = inFlight.get(link);
    if (copies === undefined) {
      copies = new Map();
      inFlight.set(link, copies);
    }
    return copies;
  }

  /** The next online member that may take `topic` now, round robin, or why none can. */
  function pick(group: Group, topic: string): Member | 'none-online' | 'busy' {
    const members = [...group.members.values()];
    let sawOnline = false;
    let busy = false;
    for (let i = 0; i < members.length; i++) {
      const index = (group.next + i) % members.length;
      const member = members[index]!;
      const link = member.link;
      if (link === null) continue;
      sawOnline = true;
      if ((inFlight.get(link)?.size ?? 0) >= maxInFlight) {
        busy = true;
        continue;
      }
      const verdict = link.admit(topic);
      if (verdict === 'rate-exceeded') {
        busy = true;
        continue;
      }
      if (verdict === 'not-authorized') {
        emit({
          code: 'NOT_AUTHORIZED',
          clientId: member.clientId,
          message: `not authorized to receive ${topic} (shared subscription)`,
        });
        continue;
      }
      group.next = index + 1;
      return member;
    }
    return sawOnline && busy ? 'busy' : 'none-online';
  }

  function send(copy: Copy, member: Member): void {
    const link = member.link!;
    const qos = Math.min(copy.message.qos, member.qos) as 0 | 1;
    const { topic, payload } = copy.message;
    if (qos === 0) {
      member.delivered += 1;
      link.send({ topic, payload, qos: 0 });
      // A QoS 0 delivery has no acknowledgement to wait for.
      settleCopy(copy);
      return;
    }
    const messageId = link.nextMessageId();
    inFlightOf(link).set(messageId, copy);
    link.send({ topic, payload, qos: 1, messageId });
  }

  function hasPersistentMember(group: Group): boolean {
    for (const member of group.members.values()) if (member.persistent) return true;
    return false;
  }

  /** Hands the group's queue to its members as far as they take it. */
  function drain(group: Group): void {
    while (group.queue.length > 0) {
      const copy = group.queue[0]!;
      const choice = pick(group, copy.message.topic);
      if (typeof choice !== 'string') {
        group.queue.shift();
        send(copy, choice);
        continue;
      }
      if (choice === 'busy') scheduleRetry();
      // §1.7: undelivered QoS 1 messages are kept only for a group with a persistent
      // session in it; QoS 0 ones are dropped on any failure. An awaited message is the
      // emulator's own (the republish action holds the gateway's PUBACK on it): kept until
      // its deadline, so a worker that restarts still gets it.
      const kept = group.queue.filter(
        (c) => c.waiter !== null || (c.message.qos === 1 && hasPersistentMember(group)),
      );
      for (const dropped of group.queue.filter((c) => !kept.includes(c))) {
        emit({
          code: 'SHARED_MESSAGE_DROPPED',
          clientId: '',
          message: `no member of $share/${group.shareName}/${group.filter} could take ${dropped.message.topic} (QoS ${dropped.message.qos})`,
        });
      }
      group.queue = kept;
      return;
    }
  }

  function scheduleRetry(): void {
    if (retryTimer !== null || closed) return;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      for (const group of groups.values()) drain(group);
    }, retryMs);
    retryTimer.unref();
  }

  function copiesFor(message: SharedMessage, waiter: Waiter | null): Copy[] {
    const copies: Copy[] = [];
    for (const group of groups.values()) {
      if (topicMatchesFilter(group.filter, message.topic)) copies.push({ message, group, waiter });
    }
    return copies;
  }

  function enqueue(copies: readonly Copy[]): void {
    for (const copy of copies) copy.group.queue.push(copy);
    for (const group of new Set(copies.map((c) => c.group))) drain(group);
  }

  function memberOf(link: MemberLink, group: Group): Member | undefined {
    const member = group.members.get(link.clientId);
    return member?.link === link ? member : undefined;
  }

  function removeMember(group: Group, clientId: string): void {
    group.members.delete(clientId);
    if (group.members.size > 0) return;
    groups.delete(group.key);
    // What the group still held: awaited copies wait for another group, the rest is lost.
    for (const copy of group.queue) {
      if (copy.waiter !== null && !copy.waiter.settled) {
        unclaimed.push({ message: copy.message, waiter: copy.waiter });
      }
    }
    group.queue = [];
  }

  return {
    subscribe(link, shared, qos, persistent) {
      const key = keyOf(shared);
      let group = groups.get(key);
      if (group === undefined) {
        group = { key, ...shared, members: new Map(), queue: [], next: 0 };
        groups.set(key, group);
        const claimed = unclaimed.filter((u) => topicMatchesFilter(shared.filter, u.message.topic));
        unclaimed = unclaimed.filter((u) => !claimed.includes(u));
        for (const { message, waiter } of claimed) group.queue.push({ message, group, waiter });
      }
      const existing = group.members.get(link.clientId);
      group.members.set(link.clientId, {
        clientId: link.clientId,
        qos,
        persistent,
        link,
        delivered: existing?.delivered ?? 0,
      });
      drain(group);
    },

    unsubscribe(clientId, shared) {
      const group = groups.get(keyOf(shared));
      if (group !== undefined && group.members.has(clientId)) removeMember(group, clientId);
    },

    online(link, persistent) {
      for (const group of [...groups.values()]) {
        const member = group.members.get(link.clientId);
        if (member === undefined) continue;
        // [MQTT-3.1.2-6]: a clean session starts with no subscriptions of an earlier one.
        if (!persistent) {
          removeMember(group, link.clientId);
          continue;
        }
        member.link = link;
        member.persistent = true;
        drain(group);
      }
    },

    offline(link) {
      const requeued = [...(inFlight.get(link)?.values() ?? [])];
      inFlight.delete(link);
      for (const group of [...groups.values()]) {
        const member = memberOf(link, group);
        if (member === undefined) continue;
        member.link = null;
        if (!member.persistent) removeMember(group, member.clientId);
      }
      // Back to the front, in the order they went out; a dissolved group's go unclaimed.
      const byGroup = new Map<Group, Copy[]>();
      for (const copy of requeued) {
        if (copy.waiter?.settled === true) continue;
        if (groups.get(copy.group.key) !== copy.group) {
          if (copy.waiter !== null) unclaimed.push({ message: copy.message, waiter: copy.waiter });
          continue;
        }
        byGroup.set(copy.group, [...(byGroup.get(copy.group) ?? []), copy]);
      }
      for (const [group, copies] of byGroup) {
        group.queue.unshift(...copies);
        drain(group);
      }
    },

    acknowledged(link, messageId) {
      const copies = inFlight.get(link);
      const copy = copies?.get(messageId);
      if (copy === undefined) return;
      copies!.delete(messageId);
      const member = copy.group.members.get(link.clientId);
      if (member !== undefined) member.delivered += 1;
      settleCopy(copy);
      // A slot in the member's window came free.
      if (groups.get(copy.group.key) === copy.group) drain(copy.group);
    },

    publish(message) {
      if (closed) return;
      enqueue(copiesFor(message, null));
    },

    publishAcknowledged(message, timeoutMs) {
      if (closed) return Promise.reject(new Error('the broker is closing'));
      return new Promise<void>((resolve, reject) => {
        const waiter: Waiter = {
          pending: 0,
          settled: false,
          resolve,
          reject,
          timer: setTimeout(() => {
            waiter.settled = true;
            waiters.delete(waiter);
            // Not sent yet: withdrawn, so that the resend is the only copy.
            for (const group of groups.values()) {
              group.queue = group.queue.filter((c) => c.waiter !== waiter);
            }
            unclaimed = unclaimed.filter((u) => u.waiter !== waiter);
            reject(
              new Error(
                `no shared subscriber acknowledged ${message.topic} within ${timeoutMs} ms`,
              ),
            );
          }, timeoutMs),
        };
        waiter.timer.unref();
        waiters.add(waiter);
        const copies = copiesFor(message, waiter);
        if (copies.length === 0) {
          // The pending count stays 1 until a group claims it.
          waiter.pending = 1;
          unclaimed.push({ message, waiter });
          return;
        }
        waiter.pending = copies.length;
        enqueue(copies);
      });
    },

    groups() {
      return [...groups.values()].map((group) => ({
        shareName: group.shareName,
        filter: group.filter,
        queued: group.queue.length,
        members: [...group.members.values()].map((member) => ({
          clientId: member.clientId,
          online: member.link !== null,
          persistent: member.persistent,
          inFlight:
            member.link === null
              ? 0
              : [...(inFlight.get(member.link)?.values() ?? [])].filter((c) => c.group === group)
                  .length,
          delivered: member.delivered,
        })),
      }));
    },

    close() {
      closed = true;
      if (retryTimer !== null) clearTimeout(retryTimer);
      for (const waiter of waiters) {
        waiter.settled = true;
        clearTimeout(waiter.timer);
        waiter.reject(new Error('the broker closed before a shared subscriber acknowledged'));
      }
      waiters.clear();
      unclaimed = [];
      for (const group of groups.values()) group.queue = [];
    },
  };
}
