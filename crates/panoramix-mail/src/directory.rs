//! (being written: the mix-net half of the mail crate)
