/** A console answer other than the page asked for: its status, a title and a sentence for the reader. */
export class PageError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    message: string,
  ) {
    super(message);
  }
}
