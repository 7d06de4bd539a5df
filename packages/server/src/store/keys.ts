/**
 * Every key shape of the single table, in one place, so that the layout in
 * ./README.md can be checked against one file and no adapter invents a key.
 *
 * Ids that go into keys never contain '#', the separator: the adapters refuse
 * such ids when an item is created (assertKeyParts), which keeps every composite
 * key injective, so no crafted id can land in another tenant's partition.
 */

// ---- IoT registry: things ---------------------------------------------------

/** A thing, by its deployment-wide unique name: the broker's CONNECT lookup. */
export function thingKey(thingName: string): { pk: string; sk: string } {
  return { pk: `THING#${thingName}`, sk: 'THING' };
}

/** The index partition of a partner's things; the sort key is the thing name. */
export function partnerThingsPartition(partnerId: string): string {
  return `P#${partnerId}#THINGS`;
}

export function thingIndexKey(
  partnerId: string,
  thingName: string,
): { gsi1pk: string; gsi1sk: string } {
  return { gsi1pk: partnerThingsPartition(partnerId), gsi1sk: thingName };
}

// ---- IoT registry: certificates --------------------------------------------

/** A certificate, by its id (SHA-256 fingerprint): the broker's CONNECT lookup. */
export function certificateKey(certificateId: string): { pk: string; sk: string } {
  return { pk: `CERT#${certificateId}`, sk: 'CERT' };
}

/** The index partition of one thing's certificates, under the thing's owner. */
export function thingCertificatesPartition(partnerId: string, thingName: string): string {
  return `P#${partnerId}#T#${thingName}#CERTS`;
}

/** Sorted by creation time (ISO-8601 sorts as text), the id breaking ties. */
export function certificateIndexKey(
  partnerId: string,
  thingName: string,
  createdAt: string,
  certificateId: string,
): { gsi1pk: string; gsi1sk: string } {
  return {
    gsi1pk: thingCertificatesPartition(partnerId, thingName),
    gsi1sk: `${createdAt}#${certificateId}`,
  };
}

// ---- Device Shadow (local IoT Core emulator) --------------------------------

/**
 * A shadow, in its thing's partition next to the thing item: the broker side
 * reads it by thing name, as it reads the thing. Classic `SHADOW`, named
 * `SHADOW#<name>`; names have no '#', so the two never collide.
 */
export function shadowKey(
  thingName: string,
  shadowName: string | null,
): { pk: string; sk: string } {
  return {
    pk: thingKey(thingName).pk,
    sk: shadowName === null ? 'SHADOW' : `SHADOW#${shadowName}`,
  };
}

/** The index partition of one thing's named shadows, under the thing's owner. */
export function thingShadowsPartition(partnerId: string, thingName: string): string {
  return `P#${partnerId}#T#${thingName}#SHADOWS`;
}

/** Live named shadows only (sparse): the sort key is the shadow name. */
export function shadowIndexKey(
  partnerId: string,
  thingName: string,
  shadowName: string,
): { gsi1pk: string; gsi1sk: string } {
  return { gsi1pk: thingShadowsPartition(partnerId, thingName), gsi1sk: shadowName };
}

// ---- Authentication: API keys ------------------------------------------------

/**
 * An API key, by its key id alone: authentication has nothing else, and the
 * id is unguessable (60 random bits) and carried in the key itself. The
 * caller compares the record's partner with the request's.
 */
export function apiKeyKey(keyId: string): { pk: string; sk: string } {
  return { pk: `APIKEY#${keyId}`, sk: 'APIKEY' };
}

/** The index partition of a partner's API keys. */
export function partnerApiKeysPartition(partnerId: string): string {
  return `P#${partnerId}#APIKEYS`;
}

/** Oldest first by creation time (ISO-8601 sorts as text), the id breaking ties. */
export function apiKeyIndexKey(
  partnerId: string,
  createdAt: string,
  keyId: string,
): { gsi1pk: string; gsi1sk: string } {
  return { gsi1pk: partnerApiKeysPartition(partnerId), gsi1sk: `${createdAt}#${keyId}` };
}

// ---- Authentication: refresh tokens -----------------------------------------

/**
 * A refresh token, by its token id alone: the port reads it so, and the id
 * is unguessable (128 random bits). The caller checks that its family is the
 * one the presented token names.
 */
export function refreshTokenKey(tokenId: string): { pk: string; sk: string } {
  return { pk: `RTOKEN#${tokenId}`, sk: 'RTOKEN' };
}

/** A refresh family (one sign-in session), by its unguessable family id. */
export function refreshFamilyKey(familyId: string): { pk: string; sk: string } {
  return { pk: `RFAMILY#${familyId}`, sk: 'RFAMILY' };
}

/** The index partition of one user's sessions, under the user's partner. */
export function userSessionsPartition(partnerId: string, userId: string): string {
  return `P#${partnerId}#U#${userId}#SESSIONS`;
}

/** Oldest first by start (ISO-8601 sorts as text), the family id breaking ties. */
export function refreshFamilyIndexKey(
  partnerId: string,
  userId: string,
  createdAt: string,
  familyId: string,
): { gsi1pk: string; gsi1sk: string } {
  return {
    gsi1pk: userSessionsPartition(partnerId, userId),
    gsi1sk: `${createdAt}#${familyId}`,
  };
}

/**
 * A user's session fence (src/auth/session-fence.ts), read on every request
 * of theirs. An item of its own: it must outlive the user item, whose
 * deletion is one of the things it fences.
 */
export function sessionFenceKey(partnerId: string, userId: string): { pk: string; sk: string } {
  return { pk: `P#${partnerId}#USER#${userId}#FENCE`, sk: 'FENCE' };
}

// ---- Authentication: support access -------------------------------------------

/**
 * The table partition of one user's support grants, read strongly consistent
 * on every request of theirs. Sorted by expiry (ISO-8601 sorts as text), so
 * that the read starts at the first grant not yet expired.
 */
export function userSupportPartition(partnerId: string, userId: string): string {
  return `P#${partnerId}#USER#${userId}#SUPPORT`;
}

export function supportGrantKey(
  partnerId: string,
  userId: string,
  expiresAt: string,
  grantId: string,
): { pk: string; sk: string } {
  return { pk: userSupportPartition(partnerId, userId), sk: `${expiresAt}#${grantId}` };
}

/** The index partition of an organisation's support grants, newest first by querying backwards. */
export function organisationSupportPartition(partnerId: string, organisationId: string): string {
  return `P#${partnerId}#O#${organisationId}#SUPPORT`;
}

export function supportGrantIndexKey(
  partnerId: string,
  organisationId: string,
  createdAt: string,
  grantId: string,
): { gsi1pk: string; gsi1sk: string } {
  return {
    gsi1pk: organisationSupportPartition(partnerId, organisationId),
    gsi1sk: `${createdAt}#${grantId}`,
  };
}

/**
 * A grant's id, under its partner, naming the user and expiry its item is
 * keyed by: what a revocation has, from the URL. Written once, never changed.
 */
export function supportGrantIdKey(partnerId: string, grantId: string): { pk: string; sk: string } {
  return { pk: `P#${partnerId}#SUPPORT#${grantId}`, sk: 'SUPPORT' };
}

// ---- Authentication: the signing key ring ------------------------------------

/**
 * The partition of the platform's token signing keys. Not tenant-facing: the
 * ring is the deployment's own, and its public halves are published anyway.
 */
export const SIGNING_KEYS_PARTITION = 'SIGNING_KEYS';

/** One key of the ring, by its kid (RFC 7638 thumbprint): one item per key. */
export function signingKeyKey(kid: string): { pk: string; sk: string } {
  return { pk: SIGNING_KEYS_PARTITION, sk: `KEY#${kid}` };
}

/** Name of the one overloaded index (see table.ts). */
export const GSI1 = 'gsi1';

// ---- Tenancy: partners --------------------------------------------------------

/**
 * A partner, by its id alone: the id is a deployment-unique name (a slug the
 * platform admin picks), and the partner is what every other key is under.
 */
export function partnerKey(partnerId: string): { pk: string; sk: string } {
  return { pk: `PARTNER#${partnerId}`, sk: 'PARTNER' };
}

/** The index partition of all partners: the platform admin's list, not tenant-facing. */
export const PARTNERS_PARTITION = 'PARTNERS';

export function partnerIndexKey(partnerId: string): { gsi1pk: string; gsi1sk: string } {
  return { gsi1pk: PARTNERS_PARTITION, gsi1sk: partnerId };
}

/**
 * The uniqueness marker of a custom domain, by host name alone: a request's
 * Host is all there is before the partner is known, and a host name serves
 * one partner in the whole deployment. The marker names its owner; the
 * caller confirms that the owner still lists the name.
 */
export function customDomainKey(hostname: string): { pk: string; sk: string } {
  return { pk: `DOMAIN#${hostname}`, sk: 'DOMAIN' };
}

// ---- Tenancy: organisations -----------------------------------------------------

export function organisationKey(
  partnerId: string,
  organisationId: string,
): { pk: string; sk: string } {
  return { pk: `P#${partnerId}#ORG#${organisationId}`, sk: 'ORG' };
}

export function partnerOrganisationsPartition(partnerId: string): string {
  return `P#${partnerId}#ORGS`;
}

/** Oldest first by creation time (ISO-8601 sorts as text), the id breaking ties. */
export function organisationIndexKey(
  partnerId: string,
  createdAt: string,
  organisationId: string,
): { gsi1pk: string; gsi1sk: string } {
  return {
    gsi1pk: partnerOrganisationsPartition(partnerId),
    gsi1sk: `${createdAt}#${organisationId}`,
  };
}

// ---- Tenancy: properties --------------------------------------------------------

export function propertyKey(partnerId: string, propertyId: string): { pk: string; sk: string } {
  return { pk: `P#${partnerId}#PROP#${propertyId}`, sk: 'PROP' };
}

/** The index partition of the properties an organisation serves as metering operator. */
export function organisationPropertiesPartition(partnerId: string, organisationId: string): string {
  return `P#${partnerId}#O#${organisationId}#PROPS`;
}

export function propertyIndexKey(
  partnerId: string,
  organisationId: string,
  createdAt: string,
  propertyId: string,
): { gsi1pk: string; gsi1sk: string } {
  return {
    gsi1pk: organisationPropertiesPartition(partnerId, organisationId),
    gsi1sk: `${createdAt}#${propertyId}`,
  };
}

/**
 * The table partition of the links from a property manager to the properties
 * it manages: the property item's one index entry is its operator's, so the
 * manager's list is a partition of link items of its own.
 */
export function managedPropertiesPartition(partnerId: string, organisationId: string): string {
  return `P#${partnerId}#O#${organisationId}#MANAGED`;
}

export function managedPropertyLinkKey(
  partnerId: string,
  organisationId: string,
  createdAt: string,
  propertyId: string,
): { pk: string; sk: string } {
  return {
    pk: managedPropertiesPartition(partnerId, organisationId),
    sk: `${createdAt}#${propertyId}`,
  };
}

// ---- Tenancy: units -----------------------------------------------------------

/** A unit; the item also holds its tenancies' calendar (./README.md, "Tenancies"). */
export function unitKey(partnerId: string, unitId: string): { pk: string; sk: string } {
  return { pk: `P#${partnerId}#UNIT#${unitId}`, sk: 'UNIT' };
}

export function propertyUnitsPartition(partnerId: string, propertyId: string): string {
  return `P#${partnerId}#PROP#${propertyId}#UNITS`;
}

export function unitIndexKey(
  partnerId: string,
  propertyId: string,
  createdAt: string,
  unitId: string,
): { gsi1pk: string; gsi1sk: string } {
  return {
    gsi1pk: propertyUnitsPartition(partnerId, propertyId),
    gsi1sk: `${createdAt}#${unitId}`,
  };
}

// ---- Tenancy: tenancies ---------------------------------------------------------

export function tenancyKey(partnerId: string, tenancyId: string): { pk: string; sk: string } {
  return { pk: `P#${partnerId}#TENANCY#${tenancyId}`, sk: 'TENANCY' };
}

export function unitTenanciesPartition(partnerId: string, unitId: string): string {
  return `P#${partnerId}#UNIT#${unitId}#TENANCIES`;
}

/** By start day (YYYY-MM-DD sorts as text), the id breaking ties. */
export function tenancyIndexKey(
  partnerId: string,
  unitId: string,
  from: string,
  tenancyId: string,
): { gsi1pk: string; gsi1sk: string } {
  return { gsi1pk: unitTenanciesPartition(partnerId, unitId), gsi1sk: `${from}#${tenancyId}` };
}

// ---- Tenancy: meters ------------------------------------------------------------

export function meterKey(partnerId: string, meterId: string): { pk: string; sk: string } {
  return { pk: `P#${partnerId}#METER#${meterId}`, sk: 'METER' };
}

/** One partition per property holds its own meters and its units'. */
export function propertyMetersPartition(partnerId: string, propertyId: string): string {
  return `P#${partnerId}#PROP#${propertyId}#METERS`;
}

/** The sort-key prefix of one unit's meters within its property's partition. */
export function unitMetersPrefix(unitId: string): string {
  return `U#${unitId}#`;
}

/** The sort-key prefix of a property's own meters (`P` sorts before `U`: they list first). */
export const PROPERTY_LEVEL_METERS_PREFIX = 'P#';

export function meterIndexKey(
  partnerId: string,
  propertyId: string,
  unitId: string | undefined,
  createdAt: string,
  meterId: string,
): { gsi1pk: string; gsi1sk: string } {
  const prefix = unitId === undefined ? PROPERTY_LEVEL_METERS_PREFIX : unitMetersPrefix(unitId);
  return {
    gsi1pk: propertyMetersPartition(partnerId, propertyId),
    gsi1sk: `${prefix}${createdAt}#${meterId}`,
  };
}

/**
 * The uniqueness marker of a meter identity within a partner, naming the
 * installed meter that has it: what ingest looks up once the gateway has told
 * the partner. Manufacturer codes are letters, ids digits, version and device
 * type numbers, so the parts hold no separator.
 */
export function meterIdentityKey(
  partnerId: string,
  identity: { manufacturer: string; meterId: string; deviceVersion: number; deviceType: number },
): { pk: string; sk: string } {
  const { manufacturer, meterId, deviceVersion, deviceType } = identity;
  return {
    pk: `P#${partnerId}#METERID#${manufacturer}#${meterId}#${deviceVersion}#${deviceType}`,
    sk: 'METERID',
  };
}

// ---- Tenancy: users -------------------------------------------------------------

/** A user under its partner (`*` for platform admins). */
export function userKey(partnerId: string, userId: string): { pk: string; sk: string } {
  return { pk: `P#${partnerId}#USER#${userId}`, sk: 'USER' };
}

export function partnerUsersPartition(partnerId: string): string {
  return `P#${partnerId}#USERS`;
}

export function userIndexKey(
  partnerId: string,
  createdAt: string,
  userId: string,
): { gsi1pk: string; gsi1sk: string } {
  return { gsi1pk: partnerUsersPartition(partnerId), gsi1sk: `${createdAt}#${userId}` };
}

/**
 * The uniqueness marker of an e-mail address within a partner. The address is
 * percent-encoded: a local part may contain '#', the separator.
 */
export function userEmailKey(partnerId: string, email: string): { pk: string; sk: string } {
  return { pk: `P#${partnerId}#EMAIL#${encodeURIComponent(email)}`, sk: 'EMAIL' };
}

// ---- Audit log ------------------------------------------------------------------

/** A partner's audit entries, newest first by querying backwards. */
export function partnerAuditPartition(partnerId: string): string {
  return `P#${partnerId}#AUDIT`;
}

export function auditEntryKey(
  partnerId: string,
  at: string,
  entryId: string,
): { pk: string; sk: string } {
  return { pk: partnerAuditPartition(partnerId), sk: `${at}#${entryId}` };
}

export function organisationAuditPartition(partnerId: string, organisationId: string): string {
  return `P#${partnerId}#O#${organisationId}#AUDIT`;
}

export function auditEntryIndexKey(
  partnerId: string,
  organisationId: string,
  at: string,
  entryId: string,
): { gsi1pk: string; gsi1sk: string } {
  return {
    gsi1pk: organisationAuditPartition(partnerId, organisationId),
    gsi1sk: `${at}#${entryId}`,
  };
}

// ---- Meter keys -------------------------------------------------------------------

/**
 * A meter's sealed AES key (src/keys envelope, never the plain key), one item
 * per meter under the partner: the meter id alone would let a crafted id of
 * another partner's meter reach it.
 */
export function meterKeyKey(partnerId: string, meterId: string): { pk: string; sk: string } {
  return { pk: `P#${partnerId}#METERKEY#${meterId}`, sk: 'METERKEY' };
}

/** The index partition of a partner's meter keys: what a master key rotation walks. */
export function partnerMeterKeysPartition(partnerId: string): string {
  return `P#${partnerId}#METERKEYS`;
}

export function meterKeyIndexKey(
  partnerId: string,
  meterId: string,
): { gsi1pk: string; gsi1sk: string } {
  return { gsi1pk: partnerMeterKeysPartition(partnerId), gsi1sk: meterId };
}

// ---- Ingest: meter streams, readings, receptions, day aggregates ----------------------

/** A meter's ingest state sits beside the meter item, in the same partition. */
export function meterStreamKey(partnerId: string, meterId: string): { pk: string; sk: string } {
  return { pk: `P#${partnerId}#METER#${meterId}`, sk: 'STREAM' };
}

/** One partition per meter holds its readings, sorted by the time they were first heard. */
export function meterReadingsPartition(partnerId: string, meterId: string): string {
  return `P#${partnerId}#METER#${meterId}#READINGS`;
}

export function readingKey(
  partnerId: string,
  meterId: string,
  at: string,
  digest: string,
): { pk: string; sk: string } {
  return { pk: meterReadingsPartition(partnerId, meterId), sk: `${at}#${digest}` };
}

/** Every gateway's reception of a meter's frames, for radio coverage. */
export function meterReceptionsPartition(partnerId: string, meterId: string): string {
  return `P#${partnerId}#METER#${meterId}#RX`;
}

export function receptionKey(
  partnerId: string,
  meterId: string,
  readingAt: string,
  digest: string,
  thingName: string,
): { pk: string; sk: string } {
  return {
    pk: meterReceptionsPartition(partnerId, meterId),
    sk: `${readingAt}#${digest}#${thingName}`,
  };
}

/** What one gateway heard, newest last: the index side of a reception. */
export function gatewayReceptionsPartition(partnerId: string, thingName: string): string {
  return `P#${partnerId}#GW#${thingName}#RX`;
}

export function gatewayReceptionIndexKey(
  partnerId: string,
  thingName: string,
  receivedAt: string,
  meterId: string,
  digest: string,
): { gsi1pk: string; gsi1sk: string } {
  return {
    gsi1pk: gatewayReceptionsPartition(partnerId, thingName),
    gsi1sk: `${receivedAt}#${meterId}#${digest}`,
  };
}

/**
 * The table key a gateway reception's index sort key belongs to, or null if
 * none can. The index key lacks the reading's time, so it is taken from the
 * table sort key a cursor names, once that names the same digest and gateway.
 */
export function receptionKeyOfIndexKey(
  partnerId: string,
  thingName: string,
  gsi1sk: string,
  claimedSk: string,
): { pk: string; sk: string } | null {
  const parts = gsi1sk.split('#');
  if (parts.length !== 3 || parts.some((p) => p === '')) return null;
  const [, meterId, digest] = parts as [string, string, string];
  const claimed = claimedSk.split('#');
  if (claimed.length !== 3 || claimed[0] === '' || claimed[1] !== digest) return null;
  if (claimed[2] !== thingName) return null;
  return receptionKey(partnerId, meterId, claimed[0]!, digest, thingName);
}

/** A property's meter-days: one query gives the property's (or a month's) days of all its meters. */
export function propertyDaysPartition(partnerId: string, propertyId: string): string {
  return `P#${partnerId}#PROP#${propertyId}#DAYS`;
}

/** The index side of a unit's meter-days. */
export function unitDaysPartition(partnerId: string, unitId: string): string {
  return `P#${partnerId}#UNIT#${unitId}#DAYS`;
}

export function meterDayKey(
  partnerId: string,
  propertyId: string,
  day: string,
  meterId: string,
): { pk: string; sk: string } {
  return { pk: propertyDaysPartition(partnerId, propertyId), sk: `${day}#${meterId}` };
}

/** Frames kept with the reason they did not become readings, per organisation, expiring. */
export function rejectedFramesPartition(partnerId: string, organisationId: string): string {
  return `P#${partnerId}#O#${organisationId}#REJECTED`;
}

/** Meters heard by an organisation's gateways that it has not registered, one item each. */
export function unregisteredMetersPartition(partnerId: string, organisationId: string): string {
  return `P#${partnerId}#O#${organisationId}#UNREGISTERED`;
}

/** Batches from gateways the registry does not know: no partner to file them under. */
export const ORPHAN_BATCHES_PARTITION = 'INGEST#ORPHANS';

/** Health of a gateway as its stream shows it, beside the thing item. */
export function gatewayHealthKey(thingName: string): { pk: string; sk: string } {
  return { pk: `THING#${thingName}`, sk: 'HEALTH' };
}

/** One partition per meter holds its alarm episodes, by when they began. */
export function meterAlarmsPartition(partnerId: string, meterId: string): string {
  return `P#${partnerId}#METER#${meterId}#ALARMS`;
}

/** An episode: its meter, its start and its code, so every writer of it names the same item. */
export function alarmKey(
  partnerId: string,
  meterId: string,
  since: string,
  code: string,
): { pk: string; sk: string } {
  return { pk: meterAlarmsPartition(partnerId, meterId), sk: `${since}#${code}` };
}

/** An organisation's alarms in the index: active ones under one prefix, cleared under the other. */
export function organisationAlarmsPartition(partnerId: string, organisationId: string): string {
  return `P#${partnerId}#O#${organisationId}#ALARMS`;
}

export const ALARM_STATE_PREFIX = { active: 'A#', cleared: 'C#' } as const;

export function alarmIndexKey(
  partnerId: string,
  organisationId: string,
  state: keyof typeof ALARM_STATE_PREFIX,
  since: string,
  meterId: string,
  code: string,
): { gsi1pk: string; gsi1sk: string } {
  return {
    gsi1pk: organisationAlarmsPartition(partnerId, organisationId),
    gsi1sk: `${ALARM_STATE_PREFIX[state]}${since}#${meterId}#${code}`,
  };
}

/** The table key an alarm's index sort key belongs to, or null if it is not one. */
export function alarmKeyOfIndexKey(
  partnerId: string,
  gsi1sk: string,
): { pk: string; sk: string } | null {
  const parts = gsi1sk.split('#');
  if (parts.length !== 4 || parts.some((p) => p === '')) return null;
  const [state, since, meterId, code] = parts as [string, string, string, string];
  if (`${state}#` !== ALARM_STATE_PREFIX.active && `${state}#` !== ALARM_STATE_PREFIX.cleared) {
    return null;
  }
  return alarmKey(partnerId, meterId, since, code);
}

// ---- Webhooks ---------------------------------------------------------------

/** An organisation's webhooks, all in one partition: the dispatcher reads them in one query. */
export function organisationWebhooksPartition(partnerId: string, organisationId: string): string {
  return `P#${partnerId}#O#${organisationId}#WEBHOOKS`;
}

export function webhookKey(
  partnerId: string,
  organisationId: string,
  webhookId: string,
): { pk: string; sk: string } {
  return { pk: organisationWebhooksPartition(partnerId, organisationId), sk: `WH#${webhookId}` };
}

/** A webhook's delivery attempts, by time: the newest are one descending query. */
export function webhookDeliveriesPartition(
  partnerId: string,
  organisationId: string,
  webhookId: string,
): string {
  return `P#${partnerId}#O#${organisationId}#WH#${webhookId}#DELIVERIES`;
}

export function webhookDeliveryKey(
  partnerId: string,
  organisationId: string,
  webhookId: string,
  at: string,
  deliveryId: string,
): { pk: string; sk: string } {
  return {
    pk: webhookDeliveriesPartition(partnerId, organisationId, webhookId),
    sk: `${at}#${deliveryId}`,
  };
}

// ---- Benchmarks ---------------------------------------------------------------

/** Partitions one write benchmark spreads its items over. */
export const BENCH_PARTITIONS = 16;

/**
 * A throwaway item of a write benchmark run. Spread over a few partitions, as
 * ingest's writes are, so that one partition's write limit (1,000 WCU/s on
 * Amazon DynamoDB) does not cap the measured rate.
 */
export function benchItemKey(runId: string, index: number): { pk: string; sk: string } {
  return {
    pk: `BENCH#${runId}#${index % BENCH_PARTITIONS}`,
    sk: String(index).padStart(10, '0'),
  };
}
