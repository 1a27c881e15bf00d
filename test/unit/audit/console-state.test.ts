import { describe, expect, it } from 'vitest';
import { html, raw } from '../../../src/console/html.js';
import { createLoginThrottle } from '../../../src/console/login-throttle.js';
import { createSessionStore } from '../../../src/console/sessions.js';
import { useEmbeddedStore } from '../../support/embedded-store.js';

describe('console sessions, sign-in throttle and HTML escaping', () => {
  const store = useEmbeddedStore('console-state');
  it('a session ends after its idle time, and after its absolute lifetime however active', async () => {
    let now = 0;
    const sessions = createSessionStore({ sessions: store().consoleSessions, idleMs: 100, absoluteMs: 250, now: () => now });
    const session = await sessions.create('alice');
    now = 90;
    expect((await sessions.touch(session.id))?.account).toBe('alice');
    now = 180;
    expect(await sessions.touch(session.id)).toBeDefined();
    now = 260;
    expect(await sessions.touch(session.id)).toBeUndefined();
    const idle = await sessions.create('bob');
    now = 361;
    expect(await sessions.touch(idle.id)).toBeUndefined();
    expect(await sessions.touch(undefined)).toBeUndefined();
  });

  it('AUD-2: a session made by one instance is good on another sharing the store; the store never holds the token; a logout ends it everywhere', async () => {
    const [first, second] = [0, 1].map(() => createSessionStore({ sessions: store().consoleSessions, idleMs: 60_000, absoluteMs: 120_000 }));
    const session = await first!.create('carol');
    expect((await second!.touch(session.id))?.csrfToken).toBe(session.csrfToken);
    expect(await store().consoleSessions.get(session.id)).toBeNull();
    await second!.destroy(session.id);
    expect(await first!.touch(session.id)).toBeUndefined();
  });

  it('sign-in is refused after maxFailures within the window, per account and address, until the window passes', async () => {
    let now = 0;
    const throttle = createLoginThrottle({ failures: store().loginFailures, maxFailures: 3, windowMs: 1000, now: () => now });
    for (let i = 0; i < 3; i++) {
      expect(await throttle.retryAfterMs('alice|1.2.3.4')).toBe(0);
      await throttle.fail('alice|1.2.3.4');
      now += 100;
    }
    expect(await throttle.retryAfterMs('alice|1.2.3.4')).toBe(700);
    expect(await throttle.retryAfterMs('alice|5.6.7.8')).toBe(0);
    now = 1001;
    expect(await throttle.retryAfterMs('alice|1.2.3.4')).toBe(0);
    await throttle.fail('bob|1.2.3.4');
    await throttle.succeed('bob|1.2.3.4');
    expect(await throttle.retryAfterMs('bob|1.2.3.4')).toBe(0);
  });

  it('AUD-2: failed sign-ins on two instances sharing the store are counted together', async () => {
    const [first, second] = [0, 1].map(() => createLoginThrottle({ failures: store().loginFailures, maxFailures: 4, windowMs: 60_000 }));
    await Promise.all([first!, second!, first!, second!].map((throttle) => throttle.fail('dave|10.0.0.1')));
    expect(await first!.retryAfterMs('dave|10.0.0.1')).toBeGreaterThan(0);
    expect(await second!.retryAfterMs('dave|10.0.0.1')).toBeGreaterThan(0);
  });

  it('AUD-2: interpolated values are escaped; only SafeHtml passes through', () => {
    const name = '<script>alert("x")</script>';
    expect(html`<td title="${name}">${name}</td>`.value).toBe('<td title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</td>');
    expect(html`<p>${[html`<b>${"'"}</b>`, raw('<i>ok</i>'), undefined, false, 0]}</p>`.value).toBe('<p><b>&#39;</b><i>ok</i>0</p>');
  });
});
