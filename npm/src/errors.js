/** Every error of this package: `code` is stable, `message` is for people. */
export class PanoramixError extends Error {
  constructor(code, message, options) {
    // (args.js imports this module: the one check here is written out)
    for (const [name, v] of [
      ['code', code],
      ['message', message],
    ]) {
      if (typeof v !== 'string') {
        throw new PanoramixError(
          'invalid_argument',
          `new PanoramixError: ${name} must be a string, got ${v === null ? 'null' : typeof v}`,
        );
      }
    }
    super(message, options);
    this.name = 'PanoramixError';
    this.code = code;
  }
}

/** Turn an error thrown by the WebAssembly side into a PanoramixError. */
export function convertError(e) {
  if (e instanceof PanoramixError) return e;
  if (e && typeof e === 'object' && e.name === 'PanoramixError' && typeof e.code === 'string') {
    return new PanoramixError(e.code, e.message, { cause: e });
  }
  return e;
}
