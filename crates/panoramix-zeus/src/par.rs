//! Data-parallel helpers: rayon natively (feature `parallel`), plain iterators
//! on wasm32 or with the feature off. Results are always in index order, so
//! "first failure" reports do not depend on scheduling.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, VartimeMultiscalarMul};

#[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
use rayon::prelude::*;

/// Map `f` over `0..n`, in parallel where available.
pub(crate) fn map_range<U, F>(n: usize, f: F) -> Vec<U>
where
    U: Send,
    F: Fn(usize) -> U + Sync + Send,
{
    #[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
    {
        (0..n).into_par_iter().map(f).collect()
    }
    #[cfg(not(all(feature = "parallel", not(target_arch = "wasm32"))))]
    {
        (0..n).map(f).collect()
    }
}

/// Map a fallible `f` over `0..n`; on failure returns the error of the
/// lowest failing index.
pub(crate) fn try_map_range<U, E, F>(n: usize, f: F) -> Result<Vec<U>, E>
where
    U: Send,
    E: Send,
    F: Fn(usize) -> Result<U, E> + Sync + Send,
{
    let results = map_range(n, f);
    let mut out = Vec::with_capacity(n);
    for r in results {
        out.push(r?);
    }
    Ok(out)
}

/// Number of worker threads that parallel helpers may use.
pub(crate) fn threads() -> usize {
    #[cfg(all(feature = "parallel", not(target_arch = "wasm32")))]
    {
        rayon::current_num_threads().max(1)
    }
    #[cfg(not(all(feature = "parallel", not(target_arch = "wasm32"))))]
    {
        1
    }
}

/// Variable-time multi-scalar multiplication `sum scalars[i] * points[i]`,
/// split into one chunk per thread. Only for public data (verifiers).
pub(crate) fn vartime_msm(scalars: &[Scalar], points: &[RistrettoPoint]) -> RistrettoPoint {
    debug_assert_eq!(scalars.len(), points.len());
    let n = scalars.len().min(points.len());
    let t = threads();
    if t <= 1 || n < 2048 {
        return RistrettoPoint::vartime_multiscalar_mul(&scalars[..n], &points[..n]);
    }
    let chunk = n.div_ceil(t);
    let parts = map_range(n.div_ceil(chunk), |c| {
        let lo = c * chunk;
        let hi = (lo + chunk).min(n);
        RistrettoPoint::vartime_multiscalar_mul(&scalars[lo..hi], &points[lo..hi])
    });
    parts
        .into_iter()
        .fold(RistrettoPoint::identity(), |acc, p| acc + p)
}

/// Constant-time multi-scalar multiplication, chunked over threads (the
/// chunking and the order of the additions depend only on the length).
pub(crate) fn ct_msm(scalars: &[Scalar], points: &[RistrettoPoint]) -> RistrettoPoint {
    use curve25519_dalek::traits::MultiscalarMul;
    let n = scalars.len().min(points.len());
    let t = threads();
    if t <= 1 || n < 512 {
        return RistrettoPoint::multiscalar_mul(&scalars[..n], &points[..n]);
    }
    let chunk = n.div_ceil(t);
    let parts = map_range(n.div_ceil(chunk), |c| {
        let lo = c * chunk;
        let hi = (lo + chunk).min(n);
        RistrettoPoint::multiscalar_mul(&scalars[lo..hi], &points[lo..hi])
    });
    parts
        .into_iter()
        .fold(RistrettoPoint::identity(), |acc, p| acc + p)
}
