/**
 * A start-up failure an operator can fix from its message alone (which setting, which file, which
 * host): printed without a stack trace, and the process exits non-zero.
 */
export class StartupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StartupError';
  }
}
