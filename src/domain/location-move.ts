/**
 * DEL-5: a location change deletes the voice user and recreates it in the new location. The
 * extension and DID are the portal's (MAP-8) and go with the user when the new location allows
 * them: an extension always does (extensions are account-wide); a DID does unless the account
 * lists the number prefixes of the new location and the DID has none of them. What cannot move
 * is said, so that someone reassigns it.
 */
export interface PortalNumbers {
  extension?: string;
  did?: string;
}

/** Portal location id → the DID prefixes its numbers start with (e.g. "+1206"). */
export type LocationNumbers = Readonly<Record<string, readonly string[]>>;

export interface CarriedNumbers {
  carried: PortalNumbers;
  /** A sentence for the plan, the audit event and the console when something could not move. */
  notice?: string;
}

export function numbersAfterMove(userName: string, current: PortalNumbers, toLocationId: string, locationNumbers: LocationNumbers): CarriedNumbers {
  const carried: PortalNumbers = { ...(current.extension ? { extension: current.extension } : {}) };
  if (!current.did) return { carried };
  const prefixes = locationNumbers[toLocationId];
  if (!prefixes || prefixes.some((prefix) => digitsOf(current.did!).startsWith(digitsOf(prefix)))) return { carried: { ...carried, did: current.did } };
  return { carried, notice: `DID ${current.did} of ${userName} is not a number of location ${toLocationId} (its numbers start ${prefixes.join(', ')}) and was not carried over; assign ${userName} a DID there in the portal` };
}

/** Numbers are compared by their digits, so "+1 (206) 555-0100" matches the prefix "+1206". */
function digitsOf(number: string): string {
  return number.replace(/[^\d]/g, '');
}
