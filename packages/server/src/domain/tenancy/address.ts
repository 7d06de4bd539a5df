import { record, text, type Fields } from './validation.js';

export interface PostalAddress {
  street: string;
  postalCode: string;
  city: string;
  /** ISO 3166-1 alpha-2, upper-case (`DE`). */
  country: string;
}

export function readAddress(value: unknown, field: string): PostalAddress {
  const input: Fields = record(value, field);
  return {
    street: text(input.street, `${field}/street`, { max: 200 }),
    postalCode: text(input.postalCode, `${field}/postalCode`, {
      max: 10,
      pattern: /^[A-Za-z0-9][A-Za-z0-9 -]{1,9}$/,
    }).toUpperCase(),
    city: text(input.city, `${field}/city`, { max: 100 }),
    country: text(input.country, `${field}/country`, {
      max: 2,
      pattern: /^[A-Za-z]{2}$/,
    }).toUpperCase(),
  };
}
