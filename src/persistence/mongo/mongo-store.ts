import { auditModels, MongoAuditLog, MongoSupportAccounts } from './audit-log.js';
import mongoose, { Schema, type Connection, type Model } from 'mongoose';
import { notFound, versionConflict } from '../../kernel/store-errors.js';
import type { AppError } from '../../kernel/app-error.js';
import { type GroupChange, type GroupChangeResult, type GroupCollection, type GroupRecord, type Member, type MemberChange, type UserCollection, type UserRecord } from '../../directory/directory-port.js';
import { type JsonObject } from '../../kernel/json.js';
import { type Store } from '../persistence.js';
import type { GroupBatchReads, Membership, UserBatchReads } from '../../reconcile/reconcile-port.js';
import type { ListQuery, ListResult } from '../query.js';
import { compileMongoFilter, compileMongoSort } from './mongo-filter.js';
import { duplicateIndexesOf, mongoSafely } from './mongo-errors.js';
import { escapeKeys, unescapeKeys } from './field-names.js';
import { MongoCredentials, MongoRegistrations, registryModels } from './registry.js';
import { chooseWriteMode, ConditionalWrites, type RequestedWriteMode, type WriteModeChoice } from './conditional-writes.js';
import { MongoRetention, MongoVoiceUsers, voicePortalModels } from './voice-portal.js';
import { leaseModel, MongoLeases } from './leases.js';
import { MongoSeatCounters, seatCounterModel } from './seat-counters.js';
import { migrateMongo } from './migrations.js';
import { consoleStateModels, MongoConsoleSessions, MongoLoginFailures } from './console-state.js';
import { MongoOutbox, outboxModel } from './outbox.js';

interface ResourceDocument {
  registrationId: string;
  id: string;
  name: string;
  nameLower: string;
  externalId?: string;
  version: number;
  created: string;
  lastModified: string;
  resource: JsonObject;
  /** Lower-cased `emails[].value` of a user, so that case-insensitive `emails.value eq` uses an index. */
  emailsLower?: string[];
}

/** Member changes recorded in the group document by the write that bumped it to `<version>`, until applied. */
type PendingChanges = Record<string, { at: Date; members: MemberChange[] }>;

interface MembershipDocument {
  registrationId: string;
  groupId: string;
  userId: string;
  display?: string;
  type?: string;
}

/**
 * Every call's deadline: a frozen server fails the request (503) long before Entra gives up after
 * 60 s. (The driver's `timeoutMS` is inert in this driver version; the socket timeout is what ends a
 * call to a server that stopped answering.) Command monitoring is on so that tests and tracing can
 * count round trips.
 */
const CLIENT_OPTIONS = { serverSelectionTimeoutMS: 2_000, connectTimeoutMS: 2_000, socketTimeoutMS: 10_000, monitorCommands: true } as const;

function resourceModel(connection: Connection, name: string, collection: string, lowerField: 'userNameLower' | 'displayNameLower'): Model<ResourceDocument> {
  const schema = new Schema<ResourceDocument>(
    {
      registrationId: String,
      id: String,
      [lowerField.replace('Lower', '')]: String,
      [lowerField]: String,
      externalId: String,
      version: Number,
      created: String,
      lastModified: String,
      resource: Schema.Types.Mixed,
    },
    { collection, versionKey: false, strict: false, minimize: false },
  );
  schema.index({ registrationId: 1, id: 1 }, { unique: true });
  schema.index({ registrationId: 1, [lowerField]: 1 }, { unique: lowerField === 'userNameLower' });
  schema.index({ registrationId: 1, externalId: 1 });
  if (lowerField === 'userNameLower') schema.index({ registrationId: 1, emailsLower: 1 });
  return connection.model<ResourceDocument>(name, schema);
}

/**
 * MongoDB through mongoose. Versioned writes go through one `ConditionalWrites` (atomic
 * findOneAndUpdate on MongoDB, claims on FerretDB v1); FerretDB has no transactions, so a group
 * change records its member changes in the group document itself (see `MongoGroups.update`).
 */
export class MongoStore implements Store {
  /** Every call is a network round trip: independent writes overlap well. */
  readonly capabilities = { parallelWrites: true };
  readonly users: MongoUsers;
  readonly groups: MongoGroups;
  readonly registrations: MongoRegistrations;
  readonly credentials: MongoCredentials;
  readonly voiceUsers: MongoVoiceUsers;
  readonly retention: MongoRetention;
  readonly leases: MongoLeases;
  readonly seatCounters: MongoSeatCounters;
  readonly consoleSessions: MongoConsoleSessions;
  readonly loginFailures: MongoLoginFailures;
  readonly outbox: MongoOutbox;
  readonly auditLog: MongoAuditLog;
  readonly supportAccounts: MongoSupportAccounts;
  readonly facts: Record<string, string>;
  private readonly writes: ConditionalWrites;

  constructor(
    readonly connection: Connection,
    choice: WriteModeChoice,
  ) {
    const memberships = connection.model<MembershipDocument>(
      'Membership',
      new Schema<MembershipDocument>({ registrationId: String, groupId: String, userId: String, display: String, type: String }, { collection: 'scim_memberships', versionKey: false, minimize: false })
        .index({ registrationId: 1, groupId: 1, userId: 1 }, { unique: true })
        .index({ registrationId: 1, userId: 1 }),
    );
    this.writes = new ConditionalWrites(choice.mode, connection.db!.collection('version_claims'));
    this.facts = { kind: 'mongodb', server: choice.server, writeMode: choice.mode, writeModeReason: choice.reason, elementFilters: choice.ferretDb ? 'positions 0-19 (FerretDB v1 lacks $elemMatch on documents)' : '$elemMatch' };
    const elementMatch = !choice.ferretDb;
    this.users = new MongoUsers(resourceModel(connection, 'User', 'scim_users', 'userNameLower'), memberships, this.writes, elementMatch);
    this.groups = new MongoGroups(resourceModel(connection, 'Group', 'scim_groups', 'displayNameLower'), memberships, this.writes, elementMatch, this.users);
    const registry = registryModels(connection);
    const portal = voicePortalModels(connection);
    this.registrations = new MongoRegistrations(registry.registrations, this.writes);
    this.credentials = new MongoCredentials(registry.credentials);
    this.seatCounters = new MongoSeatCounters(seatCounterModel(connection), this.writes);
    this.voiceUsers = new MongoVoiceUsers(portal.voiceUsers, this.writes, this.seatCounters);
    this.retention = new MongoRetention(portal.retention);
    this.leases = new MongoLeases(leaseModel(connection));
    const consoleState = consoleStateModels(connection);
    this.consoleSessions = new MongoConsoleSessions(consoleState.sessions);
    this.loginFailures = new MongoLoginFailures(consoleState.loginFailures);
    this.outbox = new MongoOutbox(outboxModel(connection));
    const audit = auditModels(connection);
    this.auditLog = new MongoAuditLog(audit.auditEvents);
    this.supportAccounts = new MongoSupportAccounts(audit.supportAccounts);
  }

  /**
   * The numbered migrations (indexes, once per database; see migrations.ts), then the claims'
   * expiry, emails of users written before `emailsLower`, group changes cut by a crash. Answers
   * the migrations this start applied.
   */
  async init(): Promise<number[]> {
    const applied = await migrateMongo(this.connection, this.leases);
    await this.writes.init();
    await this.users.backfillEmailsLower();
    await this.groups.finishInterruptedChanges();
    return applied.map((migration) => migration.version);
  }

  ping(): Promise<void> {
    return mongoSafely(async () => void (await this.connection.db!.command({ ping: 1 })));
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}

export interface MongoStoreOptions {
  /** `auto` (default) picks atomic conditional updates where the server is known to apply them atomically. */
  writeMode?: RequestedWriteMode;
  /** How long an operation (and opening) waits for a reachable server (MONGODB_SERVER_SELECTION_TIMEOUT_MS). */
  serverSelectionTimeoutMs?: number;
}

export async function openMongoStore(uri: string, options: MongoStoreOptions = {}): Promise<MongoStore> {
  const selection = options.serverSelectionTimeoutMs ? { serverSelectionTimeoutMS: options.serverSelectionTimeoutMs } : {};
  const connection = mongoose.createConnection(uri, { ...CLIENT_OPTIONS, ...selection, bufferCommands: false, autoIndex: false });
  await mongoSafely(() => connection.asPromise());
  try {
    const choice = await mongoSafely(() => chooseWriteMode(connection.db!, options.writeMode ?? 'auto'));
    const store = new MongoStore(connection, choice);
    await mongoSafely(() => store.init());
    return store;
  } catch (error) {
    await connection.close();
    throw error;
  }
}

abstract class MongoResources<R extends UserRecord | GroupRecord> {
  constructor(
    protected readonly model: Model<ResourceDocument>,
    protected readonly memberships: Model<MembershipDocument>,
    protected readonly writes: ConditionalWrites,
    /** The server has `$elemMatch` on arrays of documents (FerretDB v1 does not). */
    private readonly elementMatch: boolean,
  ) {}

  protected abstract toRecord(document: ResourceDocument): R;
  protected abstract nameOf(record: R): string;

  /** With `expectedVersion` (DELETE with If-Match), a conditional write: a racing replace and this delete cannot both win. */
  protected async deleteDocument(registrationId: string, id: string, expectedVersion: number | undefined): Promise<boolean> {
    if (expectedVersion === undefined) return (await this.model.deleteOne({ registrationId, id })).deletedCount > 0;
    return this.writes.deleteAt(this.model.collection, `${registrationId}/${id}`, { registrationId, id }, expectedVersion);
  }

  protected abstract readonly conflictField: string;
  /** The document as stored: `name`/`nameLower` become userName(Lower) or displayName(Lower). */
  protected abstract storedFields(document: ResourceDocument): Record<string, unknown> & { registrationId: string; id: string };

  protected toDocument(record: R): ResourceDocument {
    const name = this.nameOf(record);
    return {
      registrationId: record.registrationId,
      id: record.id,
      name,
      nameLower: name.toLowerCase(),
      ...(record.externalId ? { externalId: record.externalId } : {}),
      version: record.version,
      created: record.created,
      lastModified: record.lastModified,
      resource: escapeKeys(record.resource) as JsonObject,
    };
  }

  get(registrationId: string, id: string): Promise<R | null> {
    return mongoSafely(async () => {
      const document = await this.model.findOne({ registrationId, id }).lean<ResourceDocument>();
      return document ? this.toRecord(document) : null;
    });
  }

  /** One `$in` query for any number of ids. */
  getMany(registrationId: string, ids: readonly string[]): Promise<R[]> {
    return mongoSafely(async () => (await this.model.find({ registrationId, id: { $in: [...ids] } }).lean<ResourceDocument[]>()).map((document) => this.toRecord(document)));
  }

  insert(record: R): Promise<R> {
    return mongoSafely(async () => {
      await this.model.collection.insertOne(this.storedFields(this.toDocument(record)));
      return record;
    }, this.conflictField);
  }

  /** One conditional write; the answer is the version this write produced, not a re-read. */
  replace(record: R, expectedVersion: number): Promise<R> {
    return mongoSafely(async () => {
      const next = { ...record, version: expectedVersion + 1, lastModified: new Date().toISOString() };
      const { registrationId, id, ...fields } = this.storedFields(this.toDocument(next));
      const written = await this.writes.update(this.model.collection, `${registrationId}/${id}`, { registrationId, id }, expectedVersion, {
        $set: fields,
        ...(next.externalId ? {} : { $unset: { externalId: '' } }),
      });
      if (!written) throw await this.missedWrite(registrationId, id);
      return next;
    }, this.conflictField);
  }

  /** Why a conditional write matched nothing: the record is gone, or it changed since it was read. */
  protected async missedWrite(registrationId: string, id: string): Promise<AppError> {
    return (await this.model.exists({ registrationId, id })) ? versionConflict(id) : notFound(id);
  }

  query(registrationId: string, query: ListQuery): Promise<ListResult<R>> {
    return mongoSafely(async () => {
      const filter = { registrationId, ...(query.filter ? { $and: [compileMongoFilter(query.filter, { elementMatch: this.elementMatch })] } : {}) };
      const totalResults = await this.model.countDocuments(filter);
      if (query.count === 0) return { totalResults, records: [] };
      const documents = await this.model.find(filter).sort(compileMongoSort(query)).skip(query.startIndex - 1).limit(query.count).lean<ResourceDocument[]>();
      return { totalResults, records: documents.map((document) => this.toRecord(document)) };
    });
  }

  countAll(registrationId: string): Promise<number> {
    return mongoSafely(() => this.model.countDocuments({ registrationId }));
  }

  listAll(registrationId: string): Promise<R[]> {
    return mongoSafely(async () => (await this.model.find({ registrationId }).lean<ResourceDocument[]>()).map((document) => this.toRecord(document)));
  }

  protected baseRecord(document: ResourceDocument) {
    return {
      id: document.id,
      registrationId: document.registrationId,
      ...(document.externalId ? { externalId: document.externalId } : {}),
      version: document.version,
      created: document.created,
      lastModified: document.lastModified,
      resource: unescapeKeys(document.resource) as JsonObject,
    };
  }
}

/** The lower-cased email values of a SCIM user resource. */
function emailsLowerOf(resource: JsonObject): string[] {
  const emails = Array.isArray(resource.emails) ? resource.emails : [];
  return emails.flatMap((email) => (email && typeof email === 'object' && !Array.isArray(email) && typeof email.value === 'string' ? [email.value.toLowerCase()] : []));
}

class MongoUsers extends MongoResources<UserRecord> implements UserCollection, UserBatchReads {
  protected readonly conflictField = 'userName';

  protected toRecord(document: ResourceDocument): UserRecord {
    return { ...this.baseRecord(document), userName: (document as unknown as { userName: string }).userName };
  }

  protected nameOf(record: UserRecord): string {
    return record.userName;
  }

  protected storedFields({ name, nameLower, ...rest }: ResourceDocument) {
    return { ...rest, userName: name, userNameLower: nameLower, emailsLower: emailsLowerOf(rest.resource) };
  }

  /** Users written before `emailsLower` existed get it once (a no-op query afterwards). */
  async backfillEmailsLower(): Promise<void> {
    for await (const document of this.model.find({ emailsLower: { $exists: false } }).lean<ResourceDocument[]>().cursor()) {
      await this.model.updateOne({ registrationId: document.registrationId, id: document.id }, { $set: { emailsLower: emailsLowerOf(document.resource) } });
    }
  }

  findByUserName(registrationId: string, userName: string): Promise<UserRecord | null> {
    return mongoSafely(async () => {
      const document = await this.model.findOne({ registrationId, userNameLower: userName.toLowerCase() }).lean<ResourceDocument>();
      return document ? this.toRecord(document) : null;
    });
  }

  existingIds(registrationId: string, ids: string[]): Promise<string[]> {
    return mongoSafely(async () => (await this.model.find({ registrationId, id: { $in: ids } }, { id: 1 }).lean<{ id: string }[]>()).map((doc) => doc.id));
  }

  /**
   * The user document goes first, its memberships after: a member add racing this delete checks
   * the user after inserting (see MongoGroups), so no membership outlives its user.
   */
  delete(registrationId: string, id: string, expectedVersion?: number): Promise<boolean> {
    return mongoSafely(async () => {
      const deleted = await this.deleteDocument(registrationId, id, expectedVersion);
      if (deleted || expectedVersion === undefined) await this.memberships.deleteMany({ registrationId, userId: id });
      return deleted;
    });
  }

  deleteAll(registrationId: string): Promise<number> {
    return mongoSafely(async () => (await this.model.deleteMany({ registrationId })).deletedCount);
  }
}

/**
 * How long a group change recorded by another writer is given to finish before this writer applies
 * it itself (its writer crashed or hangs). Applying is idempotent, so finishing twice is harmless;
 * waiting first keeps member changes in version order while their writer is alive.
 */
const PENDING_GRACE_MS = 2_000;
const PENDING_POLL_MS = 20;

class MongoGroups extends MongoResources<GroupRecord> implements GroupCollection, GroupBatchReads {
  protected readonly conflictField = 'id';

  constructor(
    model: Model<ResourceDocument>,
    memberships: Model<MembershipDocument>,
    writes: ConditionalWrites,
    elementMatch: boolean,
    private readonly users: MongoUsers,
  ) {
    super(model, memberships, writes, elementMatch);
  }

  protected toRecord(document: ResourceDocument): GroupRecord {
    return { ...this.baseRecord(document), displayName: (document as unknown as { displayName: string }).displayName };
  }

  protected nameOf(record: GroupRecord): string {
    return record.displayName;
  }

  protected storedFields({ name, nameLower, emailsLower: _none, ...rest }: ResourceDocument) {
    return { ...rest, displayName: name, displayNameLower: nameLower };
  }

  delete(registrationId: string, id: string, expectedVersion?: number): Promise<boolean> {
    return mongoSafely(async () => {
      const deleted = await this.deleteDocument(registrationId, id, expectedVersion);
      if (deleted || expectedVersion === undefined) await this.memberships.deleteMany({ registrationId, groupId: id });
      return deleted;
    });
  }

  deleteAll(registrationId: string): Promise<number> {
    return mongoSafely(async () => {
      await this.memberships.deleteMany({ registrationId });
      return (await this.model.deleteMany({ registrationId })).deletedCount;
    });
  }

  /**
   * One step without transactions (FerretDB v1 has none): a single conditional update of the group
   * document sets the new attributes and version and records the member changes (`pending.<version>`).
   * The membership documents are then changed (idempotently) and the record removed. A crash in
   * between leaves the record: the next change of the group, or the next start, finishes it.
   */
  update(registrationId: string, groupId: string, expectedVersion: number, change: GroupChange): Promise<GroupChangeResult> {
    return mongoSafely(async () => {
      const version = expectedVersion + 1;
      const lastModified = new Date().toISOString();
      const attributes = change.record ? this.attributeFields({ ...change.record, version, lastModified }) : {};
      const pending = change.members.length > 0 ? { [`pending.${version}`]: { at: new Date(), members: change.members } } : {};
      const written = await this.writes.update(
        this.model.collection,
        `${registrationId}/${groupId}`,
        { registrationId, id: groupId },
        expectedVersion,
        { $set: { ...attributes, version, lastModified, ...pending }, ...(change.record && !change.record.externalId ? { $unset: { externalId: '' } } : {}) },
        async (document) => {
          const group = document as unknown as ResourceDocument & { pending?: PendingChanges };
          return { record: this.toRecord(group), changed: await this.finishPending(group, version) };
        },
      );
      if (!written) throw await this.missedWrite(registrationId, groupId);
      return written;
    }, this.conflictField);
  }

  private attributeFields(record: GroupRecord): Record<string, unknown> {
    const { registrationId: _registrationId, id: _id, created: _created, ...fields } = this.storedFields(this.toDocument(record));
    return fields;
  }

  /** Applies every recorded change up to `upTo` in version order; returns the users the change of `upTo` touched. */
  private async finishPending(group: ResourceDocument & { pending?: PendingChanges }, upTo: number): Promise<string[]> {
    const entries = Object.entries(group.pending ?? {})
      .map(([version, entry]) => [Number(version), entry] as const)
      .filter(([version]) => version <= upTo)
      .sort(([a], [b]) => a - b);
    let changed: string[] = [];
    for (const [version, entry] of entries) {
      if (version < upTo && (await this.finishedByItsWriter(group, version, entry.at))) continue;
      const touched = await this.applyMemberChanges(group.registrationId, group.id, entry.members);
      await this.model.collection.updateOne({ registrationId: group.registrationId, id: group.id }, { $unset: { [`pending.${version}`]: '' } });
      if (version === upTo) changed = touched;
    }
    return changed;
  }

  /** Waits (bounded) for a live writer to apply its own recorded change; false when it must be finished here. */
  private async finishedByItsWriter(group: ResourceDocument, version: number, recordedAt: Date): Promise<boolean> {
    const field = `pending.${version}`;
    while (Date.now() - new Date(recordedAt).getTime() < PENDING_GRACE_MS) {
      if (!(await this.model.exists({ registrationId: group.registrationId, id: group.id, [field]: { $exists: true } }))) return true;
      await new Promise((resolve) => setTimeout(resolve, PENDING_POLL_MS));
    }
    return false;
  }

  private async applyMemberChanges(registrationId: string, groupId: string, changes: MemberChange[]): Promise<string[]> {
    const touched: string[] = [];
    for (const change of changes) {
      if (change.kind === 'add') touched.push(...(await this.addMembers(registrationId, groupId, change.members)));
      else touched.push(...(await this.removeMembers(registrationId, groupId, change.kind === 'remove' ? change.ids : undefined)));
    }
    return touched;
  }

  /**
   * One unordered insert (a duplicate is a member already there), then a check that the users still
   * exist: a user deleted meanwhile loses the membership just inserted, so none dangles.
   */
  private async addMembers(registrationId: string, groupId: string, members: Member[]): Promise<string[]> {
    const unique = [...new Map(members.map((member) => [member.value, member])).values()];
    if (unique.length === 0) return [];
    let refused = new Set<number>();
    try {
      await this.memberships.collection.insertMany(
        unique.map((m) => ({ registrationId, groupId, userId: m.value, ...(m.display ? { display: m.display } : {}), ...(m.type ? { type: m.type } : {}) })),
        { ordered: false },
      );
    } catch (error) {
      refused = duplicateIndexesOf(error) ?? rethrow(error);
    }
    const inserted = unique.filter((_, index) => !refused.has(index)).map((member) => member.value);
    if (inserted.length === 0) return [];
    const alive = new Set(await this.users.existingIds(registrationId, inserted));
    const orphans = inserted.filter((id) => !alive.has(id));
    if (orphans.length > 0) await this.memberships.deleteMany({ registrationId, groupId, userId: { $in: orphans } });
    return inserted.filter((id) => alive.has(id));
  }

  /** Removes the given members, or all of them when `userIds` is undefined; returns who was removed. */
  private async removeMembers(registrationId: string, groupId: string, userIds: string[] | undefined): Promise<string[]> {
    if (userIds?.length === 0) return [];
    const scope = { registrationId, groupId, ...(userIds ? { userId: { $in: userIds } } : {}) };
    const present = (await this.memberships.find(scope, { userId: 1 }).lean()).map((doc) => doc.userId);
    if (present.length > 0) await this.memberships.deleteMany({ registrationId, groupId, userId: { $in: present } });
    return present;
  }

  /** At start-up: group changes whose writer died between recording and applying them are finished. */
  async finishInterruptedChanges(): Promise<void> {
    const cursor = this.model.find({ pending: { $exists: true, $ne: {} } }).lean<ResourceDocument[]>().cursor();
    for await (const group of cursor) {
      // Through the conditional write (changing nothing) so that no writer rewrites the group meanwhile; a writer already at it finishes it itself.
      await this.writes.update(this.model.collection, `${group.registrationId}/${group.id}`, { registrationId: group.registrationId, id: group.id }, group.version, { $set: { lastModified: group.lastModified } }, (written) =>
        this.finishPending(written as unknown as ResourceDocument & { pending?: PendingChanges }, Number.MAX_SAFE_INTEGER),
      );
    }
  }

  listMembers(registrationId: string, groupId: string): Promise<Member[]> {
    return mongoSafely(async () =>
      (await this.memberships.find({ registrationId, groupId }).sort({ _id: 1 }).lean()).map((doc) => ({
        value: doc.userId,
        ...(doc.display ? { display: doc.display } : {}),
        ...(doc.type ? { type: doc.type } : {}),
      })),
    );
  }

  groupsOfUsers(registrationId: string, userIds: readonly string[]): Promise<Membership[]> {
    return mongoSafely(async () => (await this.memberships.find({ registrationId, userId: { $in: [...userIds] } }, { groupId: 1, userId: 1 }).lean()).map((doc) => ({ groupId: doc.groupId, userId: doc.userId })));
  }

  removeUserEverywhere(registrationId: string, userId: string): Promise<void> {
    return mongoSafely(async () => void (await this.memberships.deleteMany({ registrationId, userId })));
  }

  allMemberships(registrationId: string): Promise<{ groupId: string; userId: string }[]> {
    return mongoSafely(async () => (await this.memberships.find({ registrationId }, { groupId: 1, userId: 1 }).lean()).map((doc) => ({ groupId: doc.groupId, userId: doc.userId })));
  }
}

function rethrow(error: unknown): never {
  throw error;
}
