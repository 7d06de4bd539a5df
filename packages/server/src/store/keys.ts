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
