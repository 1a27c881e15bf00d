import { hash, verify } from '@node-rs/argon2';
import type { RegistrationDirectory } from '../audit/audit-search.js';
import { roleOf, SUPPORT_ROLES, type SupportAccountRecord, type SupportAccounts, type SupportRole } from './support-accounts.js';
import { AppError, assertThat, isAppError } from '../kernel/app-error.js';

/** OWASP's argon2id baseline: 19 MiB, 2 passes, 1 lane (the library's default algorithm is argon2id). */
const ARGON2_OPTIONS = { memoryCost: 19_456, timeCost: 2, parallelism: 1 };
const NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
export const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_LENGTH = 1024;

/** An account as shown to operators: never the hash. */
export interface SupportAccountView {
  name: string;
  /** Absent: every registration. */
  registrations?: { id: string; name?: string }[];
  role: SupportRole;
  createdAt: string;
  passwordChangedAt: string;
}

export interface SupportAccountServiceDeps {
  accounts: SupportAccounts;
  registrations?: RegistrationDirectory;
  now?: () => Date;
}

/**
 * Support-staff accounts (AUD-2): names, argon2id password hashes and the registrations an
 * account is limited to. Managed from the CLI through the admin API; used by the console login.
 */
export function createSupportAccountService({ accounts, registrations, now = () => new Date() }: SupportAccountServiceDeps) {
  // Verifying against a real hash for unknown names keeps the response time from telling which names exist.
  let decoyHash: Promise<string> | undefined;
  const decoy = () => (decoyHash ??= hash('decoy password for unknown accounts', ARGON2_OPTIONS));

  async function resolveRegistrations(refs: unknown): Promise<string[] | undefined> {
    if (refs === undefined || refs === null) return undefined;
    if (!Array.isArray(refs) || refs.some((ref) => typeof ref !== 'string' || ref === '')) {
      throw new AppError('support_account.invalid', '"registrations" must be a list of registration names or ids');
    }
    const known = registrations ? await registrations.list() : [];
    return refs.map((ref: string) => {
      if (!registrations) return ref;
      const found = known.find((r) => r.id === ref || r.name.toLowerCase() === ref.toLowerCase());
      if (!found) throw new AppError('support_account.unknown_registration', `No registration is named or has the id "${ref}"`);
      return found.id;
    });
  }

  async function view(record: SupportAccountRecord): Promise<SupportAccountView> {
    const names = new Map((registrations ? await registrations.list() : []).map((r) => [r.id, r.name]));
    const { name, registrationIds, createdAt, passwordChangedAt } = record;
    return { name, ...(registrationIds ? { registrations: registrationIds.map((id) => ({ id, name: names.get(id) })) } : {}), role: roleOf(record), createdAt, passwordChangedAt };
  }

  return {
    async create(input: { name?: unknown; password?: unknown; registrations?: unknown; role?: unknown }): Promise<SupportAccountView> {
      const name = checkedName(input.name);
      const password = checkedPassword(input.password);
      const role = checkedRole(input.role);
      const registrationIds = await resolveRegistrations(input.registrations);
      const at = now().toISOString();
      const record = { name, passwordHash: await hash(password, ARGON2_OPTIONS), ...(registrationIds ? { registrationIds } : {}), role, createdAt: at, passwordChangedAt: at };
      try {
        return await view(await accounts.create(record));
      } catch (error) {
        if (isAppError(error, 'store.conflict')) throw new AppError('support_account.name_taken', `A support account named "${name}" already exists`, { status: 409 });
        throw error;
      }
    },
    async list(): Promise<SupportAccountView[]> {
      return Promise.all((await accounts.list()).map(view));
    },
    async remove(name: string): Promise<void> {
      if (!(await accounts.delete(name))) throw notFound(name);
    },
    async setPassword(name: string, password: unknown): Promise<void> {
      const passwordHash = await hash(checkedPassword(password), ARGON2_OPTIONS);
      try {
        await accounts.setPassword(name, passwordHash, now().toISOString());
      } catch (error) {
        throw isAppError(error, 'store.not_found') ? notFound(name) : error;
      }
    },
    /** The account when the password is right; undefined otherwise (same work either way). */
    async authenticate(name: string, password: string): Promise<SupportAccountRecord | undefined> {
      const account = NAME.test(name) ? await accounts.get(name) : null;
      const matches = await verify(account?.passwordHash ?? (await decoy()), password.slice(0, MAX_PASSWORD_LENGTH)).catch(() => false);
      return account && matches ? account : undefined;
    },
    get: (name: string) => accounts.get(name),
  };
}

export type SupportAccountService = ReturnType<typeof createSupportAccountService>;

function checkedName(name: unknown): string {
  assertThat(typeof name === 'string' && NAME.test(name), 'support_account.invalid_name', 'A support account name is 1 to 64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit');
  return name;
}

/** New accounts read only unless made operators (least privilege). */
function checkedRole(role: unknown): SupportRole {
  if (role === undefined || role === null) return 'reader';
  assertThat(typeof role === 'string' && (SUPPORT_ROLES as readonly string[]).includes(role), 'support_account.invalid_role', `"role" must be one of ${SUPPORT_ROLES.join(', ')} (reader: sees; operator: may also start a Reconcile)`);
  return role as SupportRole;
}

function checkedPassword(password: unknown): string {
  assertThat(
    typeof password === 'string' && password.length >= MIN_PASSWORD_LENGTH && password.length <= MAX_PASSWORD_LENGTH,
    'support_account.weak_password',
    `A support password is ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`,
  );
  return password;
}

function notFound(name: string): AppError {
  return new AppError('support_account.not_found', `No support account is named "${name}"`, { status: 404 });
}
