import { describe, expect, it } from 'vitest';
import { html, raw } from '../../../src/console/html.js';
import { createLoginThrottle } from '../../../src/console/login-throttle.js';
import { createSessionStore } from '../../../src/console/sessions.js';

describe('console sessions, sign-in throttle and HTML escaping', () => {
  it('a session ends after its idle time, and after its absolute lifetime however active', () => {
    let now = 0;
    const sessions = createSessionStore({ idleMs: 100, absoluteMs: 250, now: () => now });
    const session = sessions.create('alice');
    now = 90;
    expect(sessions.touch(session.id)?.account).toBe('alice');
    now = 180;
    expect(sessions.touch(session.id)).toBeDefined();
    now = 260;
    expect(sessions.touch(session.id)).toBeUndefined();
    const idle = sessions.create('bob');
    now = 361;
    expect(sessions.touch(idle.id)).toBeUndefined();
    expect(sessions.touch(undefined)).toBeUndefined();
  });

  it('sign-in is refused after maxFailures within the window, per account and address, until the window passes', () => {
    let now = 0;
    const throttle = createLoginThrottle({ maxFailures: 3, windowMs: 1000, now: () => now });
    for (let i = 0; i < 3; i++) {
      expect(throttle.retryAfterMs('alice|1.2.3.4')).toBe(0);
      throttle.fail('alice|1.2.3.4');
      now += 100;
    }
    expect(throttle.retryAfterMs('alice|1.2.3.4')).toBe(700);
    expect(throttle.retryAfterMs('alice|5.6.7.8')).toBe(0);
    now = 1001;
    expect(throttle.retryAfterMs('alice|1.2.3.4')).toBe(0);
    throttle.fail('bob|1.2.3.4');
    throttle.succeed('bob|1.2.3.4');
    expect(throttle.retryAfterMs('bob|1.2.3.4')).toBe(0);
  });

  it('AUD-2: interpolated values are escaped; only SafeHtml passes through', () => {
    const name = '<script>alert("x")</script>';
    expect(html`<td title="${name}">${name}</td>`.value).toBe('<td title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</td>');
    expect(html`<p>${[html`<b>${"'"}</b>`, raw('<i>ok</i>'), undefined, false, 0]}</p>`.value).toBe('<p><b>&#39;</b><i>ok</i>0</p>');
  });
});
