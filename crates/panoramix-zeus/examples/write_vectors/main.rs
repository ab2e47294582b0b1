//! Rewrite the known-answer vectors in `tests/vectors/`:
//! `zeus_n{1,2,3,10,1000}.json` (whole elections, kat.rs), `zeus_ballots.json`
//! (validity proofs, knowledge proof, signature; ballots.rs) and
//! `zeus_election_{spoiled,answers}.json` (box rule, spoiled outcomes, candidate
//! lists; elections.rs) and `zeus_election_threshold.json` (key generation with
//! complaints, threshold decryption; threshold.rs).
//!
//! `cargo run -p panoramix-zeus --example write_vectors`
//!
//! Only after an intentional change of a format: the vectors pin the formats,
//! and `cargo test -p panoramix-zeus --test vectors` compares the committed
//! files with what this writes (it never writes them itself). Review the diff,
//! and check the new files with the independent verifier
//! (`tests/python/verify_zeus.py --self-test tests/vectors/zeus_n*.json`).

mod ballots;
mod elections;
mod kat;
mod threshold;

fn write(path: std::path::PathBuf, v: &serde_json::Value) -> std::io::Result<()> {
    std::fs::write(&path, kat::text(v))?;
    println!("wrote {}", path.display());
    Ok(())
}

fn main() -> std::io::Result<()> {
    for n in kat::SIZES {
        write(kat::path(n), &kat::build(n).0)?;
    }
    write(ballots::path(), &ballots::build())?;
    for name in elections::NAMES {
        write(elections::path(name), &elections::build(name).0)?;
    }
    write(threshold::path(), &threshold::build().0)?;
    Ok(())
}
