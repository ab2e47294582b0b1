//! Rewrite the known-answer vectors `tests/vectors/zeus_n{1,2,3,10,1000}.json`.
//!
//! `cargo run -p panoramix-zeus --example write_vectors`
//!
//! Only after an intentional change of the transcript format: the vectors pin the
//! format, and `cargo test -p panoramix-zeus --test vectors` compares the committed
//! files with what this writes (it never writes them itself). Review the diff, and
//! check the new files with the independent verifier
//! (`tests/python/verify_zeus.py --self-test tests/vectors/zeus_n*.json`).

mod kat;

fn main() -> std::io::Result<()> {
    for n in kat::SIZES {
        let (v, _) = kat::build(n);
        let path = kat::path(n);
        std::fs::write(&path, kat::text(&v))?;
        println!("wrote {}", path.display());
    }
    Ok(())
}
