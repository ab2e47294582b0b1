//! Rewrite the known answers `tests/vectors/sphinx_v1.json`.
//!
//! `cargo run -p panoramix-sphinx --example write_vectors`
//!
//! Only when the wire format changes on purpose (with a new version byte): the
//! vectors pin the format, and `cargo test -p panoramix-sphinx --test vectors`
//! compares the committed file with what this writes (it never writes it itself).
//! Review the diff, and check the new file with the independent verifier
//! (`tests/python/verify_sphinx.py --self-test tests/vectors/sphinx_v1.json`).

mod kat;

fn main() -> std::io::Result<()> {
    std::fs::write(kat::PATH, kat::text(&kat::generate()))?;
    println!("wrote {}", kat::PATH);
    Ok(())
}
