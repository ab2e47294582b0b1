//! Rewrite the known answers `tests/vectors/mail_v1.json`.
//!
//! `cargo run -p panoramix-mail --example write_vectors`
//!
//! Only when a mail format changes on purpose (with a new version byte or label): the
//! vectors pin the formats of docs/mail.md, and `cargo test -p panoramix-mail --test
//! vectors` compares the committed file with what this writes (it never writes the
//! file itself).

mod kat;

fn main() -> std::io::Result<()> {
    std::fs::write(kat::PATH, kat::text(&kat::generate()))?;
    println!("wrote {}", kat::PATH);
    Ok(())
}
