import { isMap, readAttribute, valueOf } from './attribute-path.js';
import type { JsonMap, JsonValue } from './types.js';

export interface MappedIdentity {
  userName: string;
  firstName: string;
  lastName: string;
  primaryEmail: string;
  additionalEmails: string[];
  /** The location name read from the registration's location source (MAP-6), before mapping. */
  locationName?: string;
  active: boolean;
}

/** MAP-1..MAP-6: what a directory user becomes in the portal. */
export function mapDirectoryUser(resource: JsonMap, locationSource: string): MappedIdentity {
  const upn = String(valueOf(resource, 'userName') ?? '');
  const name = isMap(valueOf(resource, 'name')) ? (valueOf(resource, 'name') as JsonMap) : {};
  const [firstWord = '', ...otherWords] = String(valueOf(resource, 'displayName') ?? '').trim().split(/\s+/);
  const proxyAddresses = proxyAddressesOf(resource);
  return {
    userName: upn.split('@')[0]!,
    firstName: text(valueOf(name, 'givenName')) ?? firstWord,
    lastName: text(valueOf(name, 'familyName')) ?? otherWords.join(' '),
    primaryEmail: primaryProxyAddress(proxyAddresses) ?? primaryEmail(resource) ?? upn,
    additionalEmails: proxyAddresses.filter((address) => address.startsWith('smtp:')).map((address) => address.slice(5)),
    locationName: readAttribute(resource, locationSource),
    active: valueOf(resource, 'active') !== false,
  };
}

/** MAP-4: the `SMTP:` (upper-case) proxy address is the primary one. */
function primaryProxyAddress(addresses: string[]): string | undefined {
  return addresses.find((address) => address.startsWith('SMTP:'))?.slice(5);
}

/** MAP-4 fallback: the primary entry of `emails`, else the work one. */
function primaryEmail(resource: JsonMap): string | undefined {
  const emails = valueOf(resource, 'emails');
  if (!Array.isArray(emails)) return undefined;
  const entries = emails.filter(isMap);
  const chosen = entries.find((e) => valueOf(e, 'primary') === true) ?? entries.find((e) => String(valueOf(e, 'type') ?? '').toLowerCase() === 'work');
  return chosen ? text(valueOf(chosen, 'value')) : undefined;
}

/**
 * proxyAddresses at the top level or inside an extension (ours is the Mailbox one); entries may
 * be joined with ';', which is how Entra sends a multi-valued source to a custom attribute.
 */
function proxyAddressesOf(resource: JsonMap): string[] {
  const containers = [resource, ...Object.entries(resource).filter(([key]) => key.startsWith('urn:')).map(([, value]) => value)];
  for (const container of containers) {
    const addresses = isMap(container) ? valueOf(container, 'proxyAddresses') : undefined;
    if (Array.isArray(addresses)) return addresses.map(addressText).flatMap((joined) => joined?.split(';') ?? []).map((address) => address.trim()).filter(Boolean);
  }
  return [];
}

function addressText(value: JsonValue): string | undefined {
  if (typeof value === 'string') return value;
  return isMap(value) ? text(valueOf(value, 'value')) : undefined;
}

function text(value: JsonValue | undefined): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}
