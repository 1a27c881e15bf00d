import express, { type RequestHandler } from 'express';
import { AppError } from '../kernel/app-error.js';

/**
 * How deeply a request body's arrays and objects may nest. Entra's deepest body (a PATCH of the
 * enterprise `manager`) nests 5 levels; every walk over request data (validation, PATCH,
 * redaction, the audit summary) then stays far from the stack's limit.
 */
export const MAX_JSON_DEPTH = 32;

/** The body nests deeper than `limit`; found on the raw bytes, before anything is built from them. */
function tooDeep(limit: number): AppError {
  return new AppError('request.too_deep', `The request body nests arrays and objects deeper than ${limit} levels`, { data: { limit } });
}

export interface JsonBodyOptions {
  /** Largest body in bytes; raw-body stops reading beyond it (Content-Length or chunked alike). */
  limit: number | string;
  /** Which content types are parsed (body-parser's `type`). */
  type: string | string[] | ((req: unknown) => boolean);
  maxDepth?: number;
}

/**
 * express.json with a size and depth budget: the size is enforced while the body streams in, the
 * depth by one linear pass over the bytes before JSON.parse runs (a 10,000-deep body never becomes
 * objects). Compressed bodies are refused (415) rather than inflated: no client of ours sends them.
 */
export function jsonBody({ limit, type, maxDepth = MAX_JSON_DEPTH }: JsonBodyOptions): RequestHandler {
  return express.json({
    limit,
    type,
    strict: true,
    inflate: false,
    verify: (req, _res, raw) => {
      bodySizes.set(req, raw.length);
      if (jsonDepthExceeds(raw, maxDepth)) throw tooDeep(maxDepth);
    },
  });
}

const bodySizes = new WeakMap<object, number>();

/** Bytes of the body `jsonBody` read, chunked or not (the audit keeps small bodies whole). */
export function rawBodyBytes(req: object): number | undefined {
  return bodySizes.get(req);
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPENERS = new Set([0x5b, 0x7b]);
const CLOSERS = new Set([0x5d, 0x7d]);

/** Whether `[`/`{` outside strings nest deeper than `maxDepth`. Malformed JSON is left to JSON.parse. */
export function jsonDepthExceeds(raw: Uint8Array, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  for (let index = 0; index < raw.length; index++) {
    const byte = raw[index]!;
    if (inString) {
      if (byte === BACKSLASH) index++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) {
      inString = true;
    } else if (OPENERS.has(byte)) {
      if (++depth > maxDepth) return true;
    } else if (CLOSERS.has(byte)) {
      depth--;
    }
  }
  return false;
}
