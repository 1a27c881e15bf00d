/** An error with a stable dotted code (`registration.unknown`), a message for a person and an HTTP status. */
export class CodedError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = new.target.name;
  }
}
