import { describe, expect, it } from 'vitest';
import { createKeyedLock } from '../../../src/kernel/keyed-lock.js';

describe('keyed lock: writes to one resource run one after another, in a bounded queue', () => {
  it('runs tasks of one key in order and tasks of other keys alongside', async () => {
    const withLock = createKeyedLock();
    const order: string[] = [];
    let releaseFirst!: () => void;
    const first = withLock('a', () => new Promise<void>((resolve) => (releaseFirst = resolve)).then(() => void order.push('a1')));
    const second = withLock('a', async () => void order.push('a2'));
    await withLock('b', async () => void order.push('b1'));
    releaseFirst();
    await Promise.all([first, second]);
    expect(order).toEqual(['b1', 'a1', 'a2']);
  });

  it('sheds a write (503, nothing run) once too many wait for one key or in all, and accepts again when the queue drains', async () => {
    const withLock = createKeyedLock({ maxWaitingPerKey: 2, maxWaiting: 3 });
    let release!: () => void;
    const blocker = new Promise<void>((resolve) => (release = resolve));
    let ran = 0;
    const task = async () => void ran++;
    const accepted = [withLock('hot', () => blocker), withLock('hot', task), withLock('hot', task)];
    const shedForKey = withLock('hot', task);
    await expect(shedForKey).rejects.toMatchObject({ code: 'store.unavailable', status: 503, data: { mayHaveBeenApplied: false } });
    await expect(shedForKey).rejects.toThrow('Too many writes are waiting (2 for this resource');
    accepted.push(withLock('cold', () => blocker), withLock('cold', task));
    await expect(withLock('cold', task)).rejects.toThrow('3 in all');
    release();
    await Promise.all(accepted);
    expect(ran).toBe(3);
    await withLock('hot', task);
    expect(ran).toBe(4);
  });
});
