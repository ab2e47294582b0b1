//! A mix-net's agreed description and its per-cycle endpoint graph: the
//! contributor protocol's [`panoramix_contributor::spec`], re-exported.

pub use panoramix_contributor::spec::*;
