import type { Store } from '../persistence/persistence.js';

/** What the console keeps in the store so that every instance shares it. */
export type ConsoleState = Pick<Store, 'consoleSessions' | 'loginFailures'>;
