/** An error the user can act on: printed without a stack trace, with its exit code. */
export class HaformError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 2,
  ) {
    super(message);
    this.name = 'HaformError';
  }
}
