/** Every error of this package: `code` is stable, `message` is for people. */
export class PanoramixError extends Error {
  constructor(code, message, options) {
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
