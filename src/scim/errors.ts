import SCIMMY from 'scimmy';
import { excerpt } from './excerpt.js';

/**
 * The one error type of the SCIM edge: scimmy's, which carries the HTTP status, the
 * RFC 7644 §3.12 `scimType` and a detail meant for a person. Everything a handler
 * throws is turned into a SCIM Error body by `toScimErrorBody`.
 */
export const ScimError = SCIMMY.Types.Error;
export type ScimError = InstanceType<typeof SCIMMY.Types.Error>;

export type ScimType =
  | 'invalidFilter'
  | 'tooMany'
  | 'uniqueness'
  | 'mutability'
  | 'invalidSyntax'
  | 'invalidPath'
  | 'noTarget'
  | 'invalidValue'
  | 'invalidVers'
  | 'sensitive';

export function scimError(status: number, scimType: ScimType | undefined, detail: string): ScimError {
  return new ScimError(status, scimType as string, detail);
}

export function isScimError(error: unknown): error is ScimError {
  return error instanceof ScimError;
}

export const ERROR_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:Error';

/**
 * Longest `detail` sent. Details quote input through `excerpt`; this cap is the backstop for any
 * that does not, so an error never echoes a large request back.
 */
const MAX_DETAIL_CHARS = 500;

export function toScimErrorBody(error: ScimError): Record<string, unknown> {
  return {
    schemas: [ERROR_SCHEMA],
    status: error.status,
    ...(error.scimType ? { scimType: error.scimType } : {}),
    detail: excerpt(error.message, MAX_DETAIL_CHARS),
  };
}
