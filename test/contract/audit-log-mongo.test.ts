import mongoose from 'mongoose';
import { auditModels, MongoAuditLog, MongoSupportAccounts } from '../../src/persistence/mongo/audit-log.js';
import { mongoUriForTest } from '../support/mongo-uri.js';
import { describeAuditLogContract } from './audit-log.contract.js';

describeAuditLogContract('MongoDB', async () => {
  const connection = await mongoose.createConnection(mongoUriForTest()).asPromise();
  const models = auditModels(connection);
  await Promise.all(Object.values(models).map((model) => model.init()));
  return { auditLog: new MongoAuditLog(models.auditEvents), supportAccounts: new MongoSupportAccounts(models.supportAccounts), close: () => connection.close() };
});
