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

/** Name of the one overloaded index (see table.ts). */
export const GSI1 = 'gsi1';
