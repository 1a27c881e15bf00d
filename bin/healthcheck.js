#!/usr/bin/env node
// The image's HEALTHCHECK: exits 0 when GET /healthz on the admin listener answers 200 within 3 s.
// It asks the service on its own loopback address, so the server certificate (issued for the
// public host name, or by a private CA) is not verified: this checks liveness, not identity.
import https from 'node:https';

const port = Number(process.env.ADMIN_PORT ?? 8444);
const request = https.get({ host: '127.0.0.1', port, path: '/healthz', rejectUnauthorized: false, timeout: 3000 }, (response) => {
  response.resume();
  process.exit(response.statusCode === 200 ? 0 : 1);
});
request.on('timeout', () => request.destroy(new Error('timed out')));
request.on('error', (error) => {
  process.stderr.write(`healthcheck: https://127.0.0.1:${port}/healthz ${error.message}\n`);
  process.exit(1);
});
