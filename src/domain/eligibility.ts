export type Eligibility = { eligible: true } | { eligible: false; rule: 'ELIG-1' | 'ELIG-2' | 'ELIG-3'; reason: string };

/**
 * ELIG-1..3 on the UPN. ELIG-3 matches the account's domains exactly, as the seed says; a
 * registration that wants the subdomains of contoso.com lists `*.contoso.com` (which admits
 * sales.contoso.com and eu.sales.contoso.com, not contoso.com itself).
 */
export function checkEligibility(upn: string, accountDomains: string[]): Eligibility {
  if (upn.toUpperCase().includes('#EXT#')) {
    return { eligible: false, rule: 'ELIG-1', reason: `${upn} is an external or guest account (#EXT#); guests are never provisioned to the voice portal` };
  }
  const domain = upn.split('@')[1]?.toLowerCase() ?? '';
  if (domain === 'onmicrosoft.com' || domain.endsWith('.onmicrosoft.com')) {
    return { eligible: false, rule: 'ELIG-2', reason: `${upn} is in an onmicrosoft.com domain; only the customer's own email domains are provisioned` };
  }
  const allowed = accountDomains.map((d) => d.toLowerCase());
  if (!allowed.some((allowedDomain) => domainMatches(domain, allowedDomain))) {
    return { eligible: false, rule: 'ELIG-3', reason: `${upn} is not in one of the account's domains (${allowed.join(', ')})` };
  }
  return { eligible: true };
}

function domainMatches(domain: string, allowed: string): boolean {
  return allowed.startsWith('*.') ? domain.endsWith(allowed.slice(1)) : domain === allowed;
}
