import { STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { AppError } from '../kernel/app-error.js';

/** How a listener writes an error it answers itself (`request.malformed`): the SCIM Error shape, or the admin API's. */
export type ErrorAnswer = (error: AppError) => { contentType: string; body: string };

/** Node's parser codes that have a status of their own; any other parse failure is a 400. */
const STATUS_BY_CODE: Record<string, number> = { HPE_HEADER_OVERFLOW: 431, ERR_HTTP_REQUEST_TIMEOUT: 408 };
const DETAIL_BY_STATUS: Record<number, string> = {
  400: 'The request is not valid HTTP/1.1 (a malformed header, Content-Length, chunk or request line)',
  408: 'The request was not received in time',
  417: 'The Expect header is not supported; send the request without it (or with Expect: 100-continue)',
  431: 'The request headers are larger than the limit',
};

/**
 * Requests Node's HTTP parser refuses never reach Express; Node would answer them with a bare
 * status line. They get the listener's error body instead (small, no echo of the input), and a
 * connection that is gone or half-written is simply closed.
 */
export function answerMalformedRequests(server: Server, answer: ErrorAnswer): void {
  server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
    // A body that turns bad after its headers were read (bad chunking) can still be answered, unless a response has begun.
    const started = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
    if (error.code === 'ECONNRESET' || !socket.writable || started) {
      socket.destroy();
      return;
    }
    const status = STATUS_BY_CODE[error.code ?? ''] ?? 400;
    const { contentType, body } = answer(malformed(status));
    const head = [`HTTP/1.1 ${status} ${STATUS_CODES[status]}`, `Content-Type: ${contentType}`, `Content-Length: ${Buffer.byteLength(body)}`, 'Cache-Control: no-store', 'Connection: close'];
    socket.end(`${head.join('\r\n')}\r\n\r\n${body}`);
  });
  // Expect values other than 100-continue: Node would answer a bare 417.
  server.on('checkExpectation', (_req: IncomingMessage, res: ServerResponse) => {
    const { contentType, body } = answer(malformed(417));
    res.writeHead(417, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', Connection: 'close' }).end(body);
  });
}

function malformed(status: number): AppError {
  return new AppError('request.malformed', DETAIL_BY_STATUS[status]!, { status });
}
