import mongoose, { Schema, type Connection, type Model } from 'mongoose';
import {
  NotFoundError,
  VersionConflictError,
  type GroupCollection,
  type GroupRecord,
  type JsonObject,
  type Member,
  type Store,
  type UserCollection,
  type UserRecord,
} from '../store.js';
import type { ListQuery, ListResult } from '../query.js';
import { compileMongoFilter, compileMongoSort } from './mongo-filter.js';
import { isDuplicateKey, mongoSafely } from './mongo-errors.js';
import { escapeKeys, unescapeKeys } from './field-names.js';
import { MongoCredentials, MongoRegistrations, registryModels } from './registry.js';
import { versionClaimModel, withVersionClaim } from './version-claims.js';
import { MongoRetention, MongoVoiceUsers, voicePortalModels } from './voice-portal.js';
import { leaseModel, MongoLeases } from './leases.js';
import { MongoSeatCounters, seatCounterModel } from './seat-counters.js';
import { migrateMongo } from './migrations.js';
import { consoleStateModels, MongoConsoleSessions, MongoLoginFailures } from './console-state.js';

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
}

interface MembershipDocument {
  registrationId: string;
  groupId: string;
  userId: string;
  display?: string;
  type?: string;
}

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
  return connection.model<ResourceDocument>(name, schema);
}

/** MongoDB through mongoose. Every write is a single-document atomic update (FerretDB has no transactions). */
export class MongoStore implements Store {
  readonly kind = 'mongodb';
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

  constructor(readonly connection: Connection) {
    const memberships = connection.model<MembershipDocument>(
      'Membership',
      new Schema<MembershipDocument>({ registrationId: String, groupId: String, userId: String, display: String, type: String }, { collection: 'scim_memberships', versionKey: false, minimize: false })
        .index({ registrationId: 1, groupId: 1, userId: 1 }, { unique: true })
        .index({ registrationId: 1, userId: 1 }),
    );
    const claims = versionClaimModel(connection);
    this.users = new MongoUsers(resourceModel(connection, 'User', 'scim_users', 'userNameLower'), memberships, claims);
    this.groups = new MongoGroups(resourceModel(connection, 'Group', 'scim_groups', 'displayNameLower'), memberships, claims);
    const registry = registryModels(connection);
    const portal = voicePortalModels(connection);
    this.registrations = new MongoRegistrations(registry.registrations);
    this.credentials = new MongoCredentials(registry.credentials);

    this.retention = new MongoRetention(portal.retention);
    this.leases = new MongoLeases(leaseModel(connection));
    this.seatCounters = new MongoSeatCounters(seatCounterModel(connection), claims);
    this.voiceUsers = new MongoVoiceUsers(portal.voiceUsers, this.seatCounters);
    const consoleState = consoleStateModels(connection);
    this.consoleSessions = new MongoConsoleSessions(consoleState.sessions);
    this.loginFailures = new MongoLoginFailures(consoleState.loginFailures);
  }

  /** Indexes are made by the numbered migrations (see migrations.ts), once per database. */
  async init(): Promise<number[]> {
    return (await migrateMongo(this.connection, this.leases)).map((migration) => migration.version);
  }

  ping(): Promise<void> {
    return mongoSafely(async () => void (await this.connection.db!.command({ ping: 1 })));
  }

  close(): Promise<void> {
    return this.connection.close();
  }
}

export async function openMongoStore(uri: string): Promise<MongoStore> {
  const connection = mongoose.createConnection(uri, { serverSelectionTimeoutMS: 2000, bufferCommands: false, autoIndex: false });
  await mongoSafely(() => connection.asPromise());
  const store = new MongoStore(connection);
  await mongoSafely(() => store.init());
  return store;
}

abstract class MongoResources<R extends UserRecord | GroupRecord> {
  constructor(
    protected readonly model: Model<ResourceDocument>,
    protected readonly memberships: Model<MembershipDocument>,
    private readonly claims: ReturnType<typeof versionClaimModel>,
  ) {}

  protected abstract toRecord(document: ResourceDocument): R;
  protected abstract nameOf(record: R): string;
  protected abstract readonly conflictField: string;

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

  insert(record: R): Promise<R> {
    return mongoSafely(async () => {
      await this.model.collection.insertOne(this.storedFields(this.toDocument(record)));
      return record;
    }, () => this.conflictField);
  }

  replace(record: R, expectedVersion: number): Promise<R> {
    return mongoSafely(async () => {
      const next = { ...record, version: expectedVersion + 1, lastModified: new Date().toISOString() };
      const { registrationId, id, ...fields } = this.storedFields(this.toDocument(next));
      if (!(await this.model.exists({ registrationId, id }))) throw new NotFoundError(`${id}`);
      const result = await withVersionClaim(this.claims, `${this.model.collection.name}/${registrationId}/${id}`, expectedVersion, () =>
        this.model.collection.updateOne({ registrationId, id, version: expectedVersion }, { $set: fields, ...(next.externalId ? {} : { $unset: { externalId: '' } }) }),
      );
      if (result.matchedCount === 0) {
        throw (await this.model.exists({ registrationId, id })) ? new VersionConflictError(`${id} changed`) : new NotFoundError(`${id}`);
      }
      return next;
    }, () => this.conflictField);
  }

  /** The document as stored: `name`/`nameLower` become userName(Lower) or displayName(Lower). */
  protected abstract storedFields(document: ResourceDocument): Record<string, unknown> & { registrationId: string; id: string };

  query(registrationId: string, query: ListQuery): Promise<ListResult<R>> {
    return mongoSafely(async () => {
      const filter = { registrationId, ...(query.filter ? { $and: [compileMongoFilter(query.filter)] } : {}) };
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

class MongoUsers extends MongoResources<UserRecord> implements UserCollection {
  protected readonly conflictField = 'userName';

  protected toRecord(document: ResourceDocument): UserRecord {
    return { ...this.baseRecord(document), userName: (document as unknown as { userName: string }).userName };
  }

  protected nameOf(record: UserRecord): string {
    return record.userName;
  }

  protected storedFields({ name, nameLower, ...rest }: ResourceDocument) {
    return { ...rest, userName: name, userNameLower: nameLower };
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

  /** The user document goes first: if the membership clean-up fails, a retry of DELETE finishes it. */
  delete(registrationId: string, id: string): Promise<boolean> {
    return mongoSafely(async () => {
      const deleted = (await this.model.deleteOne({ registrationId, id })).deletedCount > 0;
      await this.memberships.deleteMany({ registrationId, userId: id });
      return deleted;
    });
  }

  deleteAll(registrationId: string): Promise<number> {
    return mongoSafely(async () => (await this.model.deleteMany({ registrationId })).deletedCount);
  }
}

class MongoGroups extends MongoResources<GroupRecord> implements GroupCollection {
  protected readonly conflictField = 'id';

  protected toRecord(document: ResourceDocument): GroupRecord {
    return { ...this.baseRecord(document), displayName: (document as unknown as { displayName: string }).displayName };
  }

  protected nameOf(record: GroupRecord): string {
    return record.displayName;
  }

  protected storedFields({ name, nameLower, ...rest }: ResourceDocument) {
    return { ...rest, displayName: name, displayNameLower: nameLower };
  }

  delete(registrationId: string, id: string): Promise<boolean> {
    return mongoSafely(async () => {
      const deleted = (await this.model.deleteOne({ registrationId, id })).deletedCount > 0;
      await this.memberships.deleteMany({ registrationId, groupId: id });
      return deleted;
    });
  }

  deleteAll(registrationId: string): Promise<number> {
    return mongoSafely(async () => {
      await this.memberships.deleteMany({ registrationId });
      return (await this.model.deleteMany({ registrationId })).deletedCount;
    });
  }

  /** O(k): one indexed lookup of the k ids, one insert of the new ones, one $inc on the group. */
  addMembers(registrationId: string, groupId: string, members: Member[]): Promise<string[]> {
    return this.changeMembers(registrationId, groupId, async () => {
      const present = new Set(await this.memberIdsAmong(registrationId, groupId, members.map((m) => m.value)));
      const fresh = members.filter((member) => !present.has(member.value));
      if (fresh.length === 0) return [];
      try {
        await this.memberships.collection.insertMany(
          fresh.map((m) => ({ registrationId, groupId, userId: m.value, ...(m.display ? { display: m.display } : {}), ...(m.type ? { type: m.type } : {}) })),
          { ordered: false },
        );
      } catch (error) {
        // A concurrent request added some of them first: the membership exists, which is what was asked.
        if (!isDuplicateKey(error)) throw error;
      }
      return fresh.map((m) => m.value);
    });
  }

  removeMembers(registrationId: string, groupId: string, userIds: string[]): Promise<string[]> {
    return this.changeMembers(registrationId, groupId, async () => {
      const present = await this.memberIdsAmong(registrationId, groupId, userIds);
      if (present.length > 0) await this.memberships.deleteMany({ registrationId, groupId, userId: { $in: present } });
      return present;
    });
  }

  removeAllMembers(registrationId: string, groupId: string): Promise<string[]> {
    return this.changeMembers(registrationId, groupId, async () => {
      const present = (await this.memberships.find({ registrationId, groupId }, { userId: 1 }).lean()).map((doc) => doc.userId);
      await this.memberships.deleteMany({ registrationId, groupId });
      return present;
    });
  }

  private async memberIdsAmong(registrationId: string, groupId: string, userIds: string[]): Promise<string[]> {
    if (userIds.length === 0) return [];
    return (await this.memberships.find({ registrationId, groupId, userId: { $in: userIds } }, { userId: 1 }).lean()).map((doc) => doc.userId);
  }

  private changeMembers(registrationId: string, groupId: string, change: () => Promise<string[]>): Promise<string[]> {
    return mongoSafely(async () => {
      if (!(await this.model.exists({ registrationId, id: groupId }))) throw new NotFoundError(`group ${groupId}`);
      const changed = await change();
      if (changed.length > 0) await this.model.updateOne({ registrationId, id: groupId }, { $inc: { version: 1 }, $set: { lastModified: new Date().toISOString() } });
      return changed;
    });
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

  groupsOfUser(registrationId: string, userId: string): Promise<string[]> {
    return mongoSafely(async () => (await this.memberships.find({ registrationId, userId }, { groupId: 1 }).lean()).map((doc) => doc.groupId));
  }

  removeUserEverywhere(registrationId: string, userId: string): Promise<void> {
    return mongoSafely(async () => void (await this.memberships.deleteMany({ registrationId, userId })));
  }

  allMemberships(registrationId: string): Promise<{ groupId: string; userId: string }[]> {
    return mongoSafely(async () => (await this.memberships.find({ registrationId }, { groupId: 1, userId: 1 }).lean()).map((doc) => ({ groupId: doc.groupId, userId: doc.userId })));
  }
}
