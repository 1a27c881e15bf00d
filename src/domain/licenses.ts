import type { PlanRow } from './plan-row.js';

/** The licences a portal account bought, and those each voice user created from Azure AD is given. */
export interface LicensePolicy {
  /** Seats per licence; a licence not listed here is not counted. */
  seats: Record<string, number>;
  /** Given to every voice user created from the directory (a line of service). */
  assignOnCreate: string[];
}

/** Seats in use per counted licence, as the voice portal holds them now. */
export type LicenseUsage = Record<string, number>;

export const NO_LICENSES: LicensePolicy = { seats: {}, assignOnCreate: [] };

/** Counted licences among `licenses`: the ones a seat check applies to. */
export function countedLicenses(policy: LicensePolicy, licenses: readonly string[]): string[] {
  return licenses.filter((license) => policy.seats[license] !== undefined);
}

/** The first counted licence in `adding` with no free seat, or undefined when all fit. */
export function exhaustedLicense(policy: LicensePolicy, usage: LicenseUsage, adding: readonly string[]): string | undefined {
  return countedLicenses(policy, adding).find((license) => (usage[license] ?? 0) >= policy.seats[license]!);
}

export function noLicenseLeft(policy: LicensePolicy, license: string): string {
  const seats = policy.seats[license];
  return `no "${license}" licence left (all ${seats} seats are in use); free one in the portal or raise the account's seats`;
}

/**
 * SYNC-5: each create takes the licences of `assignOnCreate`; a create for which a counted
 * licence has no seat left becomes a per-user error. Deletions run first and free their seats,
 * so a run that removes one user and adds another fits in a full account.
 */
export function allotLicenses(rows: PlanRow[], policy: LicensePolicy, usage: LicenseUsage): PlanRow[] {
  const used: LicenseUsage = { ...usage };
  for (const row of rows) if (row.kind === 'delete') for (const license of countedLicenses(policy, row.licenses)) used[license] = (used[license] ?? 0) - 1;
  return rows.map((row) => {
    if (row.kind !== 'create') return row;
    const exhausted = exhaustedLicense(policy, used, policy.assignOnCreate);
    if (exhausted) return { kind: 'error', rule: 'SYNC-5', userName: row.userName, directoryUserId: row.desired.directoryUserId, message: `${row.userName} was not created: ${noLicenseLeft(policy, exhausted)}` };
    for (const license of countedLicenses(policy, policy.assignOnCreate)) used[license] = (used[license] ?? 0) + 1;
    return { ...row, licenses: [...policy.assignOnCreate] };
  });
}

/** Seats in use, counted from the voice users themselves. */
export function usageOf(policy: LicensePolicy, voiceUsers: readonly { licenses: readonly string[] }[]): LicenseUsage {
  const usage: LicenseUsage = {};
  for (const voiceUser of voiceUsers) for (const license of countedLicenses(policy, voiceUser.licenses)) usage[license] = (usage[license] ?? 0) + 1;
  return usage;
}
