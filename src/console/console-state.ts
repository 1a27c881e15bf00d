import type { ConsoleSessionCollection, LoginFailureCollection } from './console-state-port.js';

/** What the console keeps in the store so that every instance shares it. */
export interface ConsoleState {
  consoleSessions: ConsoleSessionCollection;
  loginFailures: LoginFailureCollection;
}
