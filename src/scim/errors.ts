import { AppError } from '../kernel/app-error.js';
import { SCIM_PROTOCOL_ERRORS, type ScimType } from './to-scim-error.js';

type ProtocolErrors = typeof SCIM_PROTOCOL_ERRORS;

/** The (status, scimType) pairs of `SCIM_PROTOCOL_ERRORS`: a call site cannot make up another. */
type StatusAndType = {
  [Code in keyof ProtocolErrors]: [status: ProtocolErrors[Code]['status'], scimType: ProtocolErrors[Code] extends { scimType: infer T } ? T : undefined];
}[keyof ProtocolErrors];

const shapeKey = (status: number, scimType: ScimType | undefined) => `${status} ${scimType ?? ''}`;

const CODE_OF_SHAPE = new Map<string, string>(
  Object.entries(SCIM_PROTOCOL_ERRORS).map(([code, shape]) => [shapeKey(shape.status, 'scimType' in shape ? shape.scimType : undefined), code]),
);

/**
 * A SCIM protocol error (RFC 7644 §3.12) as the service's one error type: the AppError whose code
 * `SCIM_PROTOCOL_ERRORS` gives this status and scimType, with `detail` as its message.
 *
 * @example
 * throw scimError(400, 'invalidFilter', `Unknown attribute "${name}" in the filter`);
 */
export function scimError(...[status, scimType, detail]: [...StatusAndType, detail: string]): AppError {
  return new AppError(CODE_OF_SHAPE.get(shapeKey(status, scimType))!, detail, { status });
}
