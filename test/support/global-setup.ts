import type { TestProject } from 'vitest/node';
import { startMongoServer } from './mongo-server.js';

/** One MongoDB-protocol server for the whole run; each test file uses its own database on it. */
export default async function setup(project: TestProject) {
  const server = await startMongoServer();
  console.info(`MongoDB-protocol server for the tests: ${server.kind}`);
  project.provide('mongoUri', server.uri);
  return () => server.stop();
}
