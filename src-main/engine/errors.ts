/**
 * An error caused by the user's input (a path, a file, an option): its message names the
 * problem and front ends show it as is (the CLI prints one line and exits with code 2).
 */
export class UserError extends Error {
  override readonly name = 'UserError';
}

/** Raised inside long work when the caller's AbortSignal fires. */
export class CancelledError extends Error {
  override readonly name = 'CancelledError';
  constructor(message = 'cancelled') {
    super(message);
  }
}
