import { Transform } from 'node:stream';

/** Passes a request body through, failing with `tooLarge()` once more than `limit` bytes went by. */
export function byteLimit(limit: number, tooLarge: () => Error): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      done(seen > limit ? tooLarge() : null, chunk);
    },
  });
}
