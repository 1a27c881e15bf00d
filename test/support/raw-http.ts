import tls from 'node:tls';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RawTarget {
  port: number;
  ca: string;
  cert?: string;
  key?: string;
}

/**
 * Sends bytes exactly as given over TLS and reads the answer until the server closes the
 * connection: for requests no HTTP client would send (bad Content-Length, NUL in a header).
 */
export function sendRaw({ port, ca, cert, key }: RawTarget, request: string | Buffer, timeoutMs = 10_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca, cert, key, servername: 'localhost' }, () => socket.end(request));
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseResponse(Buffer.concat(chunks).toString('latin1')));
    });
  });
}

/** The first response on the connection (status line, headers, Content-Length body). */
function parseResponse(text: string): RawAnswer {
  const split = text.indexOf('\r\n\r\n');
  const [statusLine = '', ...headerLines] = text.slice(0, split < 0 ? text.length : split).split('\r\n');
  const headers = Object.fromEntries(
    headerLines.map((line) => [line.slice(0, line.indexOf(':')).trim().toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  const rest = split < 0 ? '' : text.slice(split + 4);
  const length = headers['content-length'] === undefined ? rest.length : Number(headers['content-length']);
  return { status: Number(statusLine.split(' ')[1] ?? 0), headers, body: Buffer.from(rest.slice(0, length), 'latin1').toString('utf8') };
}
