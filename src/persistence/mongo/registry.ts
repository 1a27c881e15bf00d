import type { Connection, Model } from 'mongoose';
import { Schema } from 'mongoose';
import { notFound, versionConflict } from '../../kernel/store-errors.js';
import { type CredentialIndex, type RegistrationCollection, type RegistrationRecord } from '../../registrations/registrations-port.js';
import { isDuplicateKey, mongoSafely } from './mongo-errors.js';
import type { ConditionalWrites } from './conditional-writes.js';

/**
 * Settings are kept as JSON text: their keys are customers' words (location names such as
 * "St. Louis"), and a key with a dot or a leading `$` is not a field name every MongoDB-protocol
 * server accepts. Documents written before carry `settings` as an object and still read.
 */
type StoredRegistration = Omit<RegistrationRecord, 'settings'> & { settings?: RegistrationRecord['settings']; settingsJson?: string };

interface RegistrationDocument {
  _id: string;
  nameLower: string;
  version: number;
  record: StoredRegistration;
}

function stored({ settings, ...rest }: RegistrationRecord): StoredRegistration {
  return { ...rest, settingsJson: JSON.stringify(settings) };
}

function recordOf(document: Pick<RegistrationDocument, 'record'> | null | undefined): RegistrationRecord | null {
  if (!document) return null;
  const { settingsJson, settings, ...rest } = document.record;
  return { ...rest, settings: settingsJson !== undefined ? JSON.parse(settingsJson) : (settings ?? {}) };
}

interface CredentialDocument {
  _id: string;
  registrationId: string;
}

export function registryModels(connection: Connection) {
  const registrations = connection.model<RegistrationDocument>(
    'Registration',
    new Schema<RegistrationDocument>({ _id: String, nameLower: { type: String, unique: true }, version: Number, record: Schema.Types.Mixed }, { collection: 'registrations', versionKey: false, minimize: false }),
  );
  const credentials = connection.model<CredentialDocument>(
    'Credential',
    new Schema<CredentialDocument>({ _id: String, registrationId: { type: String, index: true } }, { collection: 'credentials', versionKey: false, minimize: false }),
  );
  return { registrations, credentials };
}

export class MongoRegistrations implements RegistrationCollection {
  constructor(
    private readonly model: Model<RegistrationDocument>,
    private readonly writes: ConditionalWrites,
  ) {}

  insert(record: RegistrationRecord): Promise<RegistrationRecord> {
    return mongoSafely(async () => {
      await this.model.create({ _id: record.id, nameLower: record.name.toLowerCase(), version: record.version, record: stored(record) });
      return record;
    }, 'name');
  }

  get(id: string): Promise<RegistrationRecord | null> {
    return mongoSafely(async () => recordOf(await this.model.findById(id).lean()));
  }

  findByName(name: string): Promise<RegistrationRecord | null> {
    return mongoSafely(async () => recordOf(await this.model.findOne({ nameLower: name.toLowerCase() }).lean()));
  }

  list(): Promise<RegistrationRecord[]> {
    return mongoSafely(async () => (await this.model.find().sort({ nameLower: 1 }).lean()).map((doc) => recordOf(doc)!));
  }

  replace(record: RegistrationRecord, expectedVersion: number): Promise<RegistrationRecord> {
    return mongoSafely(async () => {
      const next = { ...record, version: expectedVersion + 1 };
      const updated = await this.writes.update(this.model.collection, record.id, { _id: record.id }, expectedVersion, {
        $set: { nameLower: next.name.toLowerCase(), version: next.version, record: stored(next) },
      });
      if (!updated) {
        if (!(await this.model.exists({ _id: record.id }))) throw notFound(`registration ${record.id}`);
        throw versionConflict(`registration ${record.id}`);
      }
      return next;
    }, 'name');
  }

  delete(id: string): Promise<boolean> {
    return mongoSafely(async () => (await this.model.deleteOne({ _id: id })).deletedCount > 0);
  }
}

export class MongoCredentials implements CredentialIndex {
  constructor(private readonly model: Model<CredentialDocument>) {}

  bind(key: string, registrationId: string): Promise<void> {
    return mongoSafely(async () => {
      try {
        await this.model.create({ _id: key, registrationId });
      } catch (error) {
        const owner = isDuplicateKey(error) ? await this.model.findById(key).lean() : undefined;
        if (owner?.registrationId !== registrationId) throw error;
      }
    }, 'credential');
  }

  unbind(key: string): Promise<void> {
    return mongoSafely(async () => void (await this.model.deleteOne({ _id: key })));
  }

  lookup(key: string): Promise<string | null> {
    return mongoSafely(async () => (await this.model.findById(key).lean())?.registrationId ?? null);
  }

  lookupFirst(keys: readonly string[]): Promise<string | null> {
    return mongoSafely(async () => {
      if (keys.length === 0) return null;
      const bound = new Map((await this.model.find({ _id: { $in: [...keys] } }).lean()).map((credential) => [credential._id, credential.registrationId]));
      return keys.map((key) => bound.get(key)).find((registrationId) => registrationId !== undefined) ?? null;
    });
  }

  unbindAll(registrationId: string): Promise<void> {
    return mongoSafely(async () => void (await this.model.deleteMany({ registrationId })));
  }
}
