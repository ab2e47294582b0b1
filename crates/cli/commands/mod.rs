pub mod audit;
pub mod consensus_id;
pub mod keygen;
pub mod serve;
pub mod server_wizard;
