import { toScimError, type ScimErrorAnswer } from '../../src/scim/to-scim-error.js';

/** What a SCIM client would be answered for the error `run` throws (through the one to-scim-error table). */
export function scimAnswerOf(run: () => unknown): ScimErrorAnswer {
  try {
    run();
  } catch (error) {
    return toScimError(error);
  }
  throw new Error('expected a SCIM error; nothing was thrown');
}
