// Argument checks for every export of the package, in one place. A check is a
// `{ expected, test }` pair; `check(name, specs, args)` throws
// PanoramixError('invalid_argument', '<name>: <argument> must be <expected>, got
// <what>') for the first argument that fails its test, or when there are more
// arguments than specs. The checks are on types and shapes only: contents (hex,
// lengths, keys, proofs) are checked by the WebAssembly side, with their own codes.
// Messages never quote a string argument (it may be a secret), only its length.
import { PanoramixError } from './errors.js';

/** A check: `expected` completes "must be …". */
function spec(expected, test) {
  return { expected, test };
}

function isPlainObject(v) {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/** What a value is, for an error message (no string contents). */
export function describe(v) {
  if (v === null) return 'null';
  if (v === undefined) return 'undefined';
  if (typeof v === 'string') return `a string of ${v.length} characters`;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') {
    return `${typeof v} ${String(v)}`;
  }
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'symbol') return 'a symbol';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  const name = Object.getPrototypeOf(v)?.constructor?.name;
  return name && name !== 'Object' ? `a ${name}` : 'an object';
}

export const string = spec('a string', (v) => typeof v === 'string');
export const nonEmptyString = spec('a non-empty string', (v) => typeof v === 'string' && v !== '');
export const boolean = spec('a boolean', (v) => typeof v === 'boolean');
export const integer = spec('an integer', (v) => Number.isSafeInteger(v));
export const count = spec('a non-negative integer', (v) => Number.isSafeInteger(v) && v >= 0);
export const object = spec('an object', isPlainObject);
export const uint8Array = spec('a Uint8Array', (v) => v instanceof Uint8Array);
export const func = spec('a function', (v) => typeof v === 'function');
/** `BytesLike`: what the WebAssembly side reads as bytes. */
export const bytes = spec(
  'a Uint8Array, an ArrayBuffer or a string',
  (v) => typeof v === 'string' || v instanceof Uint8Array || v instanceof ArrayBuffer,
);
/** `Json`: the top level only (the canonical encoder checks the rest). */
export const json = spec(
  'a JSON value (null, boolean, number, string, array or object)',
  (v) =>
    v === null ||
    ['boolean', 'number', 'string'].includes(typeof v) ||
    Array.isArray(v) ||
    isPlainObject(v),
);
/** Bytes or a compiled module: what the synchronous inits take. */
export const moduleBytes = spec(
  'an ArrayBuffer, a typed array or a WebAssembly.Module',
  (v) =>
    v instanceof ArrayBuffer ||
    ArrayBuffer.isView(v) ||
    (typeof WebAssembly !== 'undefined' && v instanceof WebAssembly.Module),
);
/** `InitInput`: a URL, a fetch Response or Request, bytes, a module, or a promise of one. */
export const initInput = spec(
  'a URL (string or URL), a Request, a Response, bytes, a WebAssembly.Module or a promise of one',
  (v) =>
    typeof v === 'string' ||
    v instanceof URL ||
    (typeof Request !== 'undefined' && v instanceof Request) ||
    (typeof Response !== 'undefined' && v instanceof Response) ||
    moduleBytes.test(v) ||
    (v !== null && typeof v === 'object' && typeof v.then === 'function'),
);

/** `s`, or undefined / null. */
export function optional(s) {
  return spec(`${s.expected}, null or undefined`, (v) => v === undefined || v === null || s.test(v));
}

/** One of the listed values. */
export function oneOf(...values) {
  return spec(`one of ${values.map((x) => JSON.stringify(x)).join(', ')}`, (v) =>
    values.includes(v),
  );
}

/** Any of the checks. */
export function anyOf(...specs) {
  return spec(specs.map((s) => s.expected).join(' or '), (v) => specs.some((s) => s.test(v)));
}

/** An array whose every element passes `s`. */
export function arrayOf(s, what = s.expected.replace(/^an? /, '')) {
  return spec(`an array of ${what}s`, (v) => Array.isArray(v) && v.every((x) => s.test(x)));
}

/** An object whose every value passes `s`. */
export function recordOf(s, what = s.expected.replace(/^an? /, '')) {
  return spec(
    `an object of ${what}s`,
    (v) => isPlainObject(v) && Object.values(v).every((x) => s.test(x)),
  );
}

/** An object with these fields (`{ field: spec }`; optional ones wrapped in `optional`). */
export function shape(expected, fields) {
  return spec(
    expected,
    (v) => isPlainObject(v) && Object.entries(fields).every(([k, s]) => s.test(v[k])),
  );
}

/** Any object (a class instance too) with these fields: what a method uses of it. */
export function having(expected, fields) {
  return spec(
    expected,
    (v) =>
      v !== null &&
      typeof v === 'object' &&
      Object.entries(fields).every(([k, s]) => s.test(v[k])),
  );
}

/** An instance of `cls`. */
export function instanceOf(cls, name = cls.name) {
  return spec(`a ${name}`, (v) => v instanceof cls);
}

/**
 * Check `args` against `specs` (`[[argumentName, spec], …]`) for the function
 * `name`: throws PanoramixError `invalid_argument` naming the argument and what it
 * must be. A function without arguments refuses any (`generateKeypair(secret)` is
 * a mistake for `keypairFromSecret(secret)`, not a fresh key); arguments past the
 * declared ones are otherwise ignored, as JavaScript does (`texts.map(f)`).
 */
export function check(name, specs, args) {
  if (specs.length === 0 && args.length > 0) {
    throw new PanoramixError(
      'invalid_argument',
      `${name}: takes no arguments, got ${args.length} (${describe(args[0])} first)`,
    );
  }
  for (let i = 0; i < specs.length; i++) {
    const [arg, s] = specs[i];
    if (!s.test(args[i])) {
      throw new PanoramixError(
        'invalid_argument',
        `${name}: ${arg} must be ${s.expected}, got ${describe(args[i])}`,
      );
    }
  }
}

/** `f` with its arguments checked first (see `check`). */
export function checked(name, specs, f) {
  return function (...args) {
    check(name, specs, args);
    return f(...args);
  };
}

// ---------------------------------------------------------------- the package's shapes
/** A string whose contents the WebAssembly side checks (`expected` says what it holds). */
export function text(expected) {
  return spec(expected, (v) => typeof v === 'string');
}
export const secret = text('a secret key (a string of 64 hex)');
export const hex = text('a hex string');
export const strings = arrayOf(string, 'string');
export const hexStrings = arrayOf(string, 'hex string');
export const sphinxParams = optional(
  spec('Sphinx parameters ({BODY_LEN?, MAX_HOPS?})', isPlainObject),
);
export const zeusParamsObject = spec(
  'Zeus parameters ({session_id, election_public_key, …})',
  isPlainObject,
);
export const zeusParams = spec(
  'Zeus parameters ({session_id, election_public_key, …}) or their JSON text',
  (v) => typeof v === 'string' || isPlainObject(v),
);
export const zeusEndpointType = oneOf(
  'ZEUS_BOOTH',
  'ZEUS_TW_MIX',
  'ZEUS_SK_MIX',
  'ZEUS_SK_PARTIAL_DECRYPT',
  'ZEUS_SK_COMBINE',
);
export const signatureDomain = oneOf('envelope', 'contribution', 'contribution-in', 'audit-head');
export const apiEndpoint = shape('an endpoint ({endpoint_id, endpoint_type, …})', {
  endpoint_id: string,
  endpoint_type: string,
});
export const apiMessages = arrayOf(shape('message', { text: string }), 'message ({text, …})');
const SECRET_FIELDS = {
  mix: optional(string),
  trustee: optional(string),
  replay: optional(string),
};
/** Backend secrets: these fields only (an endpoint given in their place is refused). */
export const backendSecrets = spec(
  'backend secrets ({mix?, trustee?, replay?}: hex strings, no other field)',
  (v) =>
    shape('', SECRET_FIELDS).test(v) && Object.keys(v).every((k) => Object.hasOwn(SECRET_FIELDS, k)),
);
export const trusteeKeys = arrayOf(
  shape('trustee key', {
    public_key: string,
    proof: shape('proof', { commitment: string, response: string }),
  }),
  'trustee key ({public_key, proof: {commitment, response}})',
);
export const publishedMixes = arrayOf(
  shape('mix', { mixer: string, outputs: strings, proof: string }),
  'published mix ({mixer, outputs, proof})',
);
