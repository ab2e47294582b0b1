// Whether 64 hex digits are the canonical encoding of a ristretto255 group
// element other than the identity (RFC 9496 §4.3.1 decoding): the check the
// election verifier makes of every credential on a voter list
// (panoramix_zeus::ZeusParams::check_definition), so that a page refuses a pasted
// list the transcript verifier would refuse. Public data only: no constant time.

const P = 2n ** 255n - 19n;
const mod = (a) => ((a % P) + P) % P;

function pow(b, e) {
  let r = 1n;
  b = mod(b);
  while (e > 0n) {
    if (e & 1n) r = (r * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return r;
}

const inv = (a) => pow(a, P - 2n);
const D = mod(-121665n * inv(121666n));
const SQRT_M1 = pow(2n, (P - 1n) / 4n);
const isNegative = (a) => (mod(a) & 1n) === 1n;
const abs = (a) => (isNegative(a) ? mod(-a) : mod(a));

/** RFC 9496 SQRT_RATIO_M1(u, v): [was_square, r]. */
function sqrtRatioM1(u, v) {
  const v3 = mod(v * v * v);
  const v7 = mod(v3 * v3 * v);
  let r = mod(u * v3 * pow(u * v7, (P - 5n) / 8n));
  const check = mod(v * r * r);
  const correct = check === mod(u);
  const flipped = check === mod(-u);
  const flippedI = check === mod(-u * SQRT_M1);
  if (flipped || flippedI) r = mod(r * SQRT_M1);
  return [correct || flipped, abs(r)];
}

/** `hex` (64 lowercase hex digits) encodes a ristretto255 element other than the identity. */
export function isRistrettoPoint(hex) {
  if (!/^[0-9a-f]{64}$/.test(hex)) return false;
  let s = 0n;
  for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(parseInt(hex.slice(2 * i, 2 * i + 2), 16));
  if (s >= P || isNegative(s)) return false; // non-canonical or negative field element
  const ss = mod(s * s);
  const u1 = mod(1n - ss);
  const u2 = mod(1n + ss);
  const u2sq = mod(u2 * u2);
  const v = mod(-(D * u1 * u1) - u2sq);
  const [wasSquare, invsqrt] = sqrtRatioM1(1n, mod(v * u2sq));
  const denX = mod(invsqrt * u2);
  const denY = mod(invsqrt * denX * v);
  const x = abs(2n * s * denX);
  const y = mod(u1 * denY);
  const t = mod(x * y);
  if (!wasSquare || isNegative(t) || y === 0n) return false;
  return s !== 0n; // s = 0 is the identity
}
