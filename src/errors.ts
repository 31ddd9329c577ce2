const BRAND = Symbol.for('haform.HaformError');

/**
 * An error the user can act on: printed without a stack trace, with its exit code. Recognised by a
 * brand rather than by class identity, because the engine bundle has its own copy of this class.
 */
export class HaformError extends Error {
  readonly [BRAND] = true;

  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 2,
  ) {
    super(message);
    this.name = 'HaformError';
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
  }
}
