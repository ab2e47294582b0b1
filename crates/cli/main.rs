//! `panoramix`: the thin binary. Parses arguments, runs one command, prints errors
//! once and picks the exit code: 0 ok, 1 `doctor` found a problem, 2 a usage error
//! or a failure (a wrong passphrase, a bad URL, an error the controller answered
//! with), 3 a verification failed (audit log, election), 4 controller unreachable
//! (connection, TLS or timeout: see [`out::Failure`]).
//! A closed stdout or stderr (`panoramix audit verify URL | head -1`) does not change
//! the exit code: the output is dropped quietly (see `out.rs`).

#[macro_use]
mod out;
mod commands;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[derive(Parser, Debug)]
#[command(
    name = "panoramix",
    version,
    about = "Run mix-nets that many independent parties operate together"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Store new secret keys in plaintext files instead of encrypting them under
    /// PANORAMIX_PASSPHRASE (tests and demos only).
    #[arg(long, global = true, env = "PANORAMIX_INSECURE_PLAINTEXT_KEYS", value_parser = clap::builder::FalseyValueParser::new())]
    insecure_plaintext_keys: bool,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the controller (registration, configuration and messaging services).
    Serve(Box<commands::serve::Args>),
    /// Write the controller's configuration (asks, or takes flags).
    ServerWizard(commands::server_wizard::Args),
    /// Print the consensus id of a negotiation record read as JSON on stdin.
    ConsensusId,
    /// Agreements for auditors: `agreement verify FILE` checks every signature and
    /// the consensus id of an exported agreement (exit 3 if it fails).
    Agreement {
        #[command(subcommand)]
        command: commands::agreement::Command,
    },
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: commands::audit::Command,
    },
    /// Create a key pair and print its key id.
    Keygen(commands::keygen::Args),
    /// Run a whole local mix-net: a controller, contributors and clients, one Sphinx
    /// cycle and one Zeus election, verified (the README's main job).
    Demo(commands::demo::Args),
    /// Set a mix-net up with other contributors (create, or join by invitation).
    Wizard {
        #[command(subcommand)]
        command: commands::wizard::Command,
    },
    /// Run the contributor agent: process every cycle of the configured mix-net.
    Contribute(commands::contribute::Args),
    /// The local agent: a service on 127.0.0.1 that encrypts and sends for its user.
    Agent(commands::agent::Args),
    /// Mail users of the local agent (`--mail-dir`): `mail-user add ADDRESS`.
    MailUser {
        #[command(subcommand)]
        command: commands::agent_mail::UserCommand,
    },
    /// Who has joined and the state of each endpoint of the current cycle.
    Status(commands::status::Args),
    /// Check reachability, clock skew and that the local key is the registered one.
    Doctor(commands::status::Args),
    /// Verify a whole ZEUS election transcript (exit 3 if it fails).
    VerifyElection(commands::verify_election::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    commands::keygen::set_insecure_plaintext(cli.insecure_plaintext_keys);
    let res = match cli.command {
        Command::Serve(a) => commands::serve::run(*a),
        Command::ServerWizard(a) => commands::server_wizard::run(a),
        Command::ConsensusId => commands::consensus_id::run(),
        Command::Agreement { command } => commands::agreement::run(command),
        Command::Audit { command } => commands::audit::run(command),
        Command::Keygen(a) => commands::keygen::run(a),
        Command::Demo(a) => commands::demo::run(a),
        Command::Agent(a) => commands::agent::run(a),
        Command::MailUser { command } => commands::agent_mail::run_user(command),
        Command::Status(a) => commands::status::status(a),
        Command::Doctor(a) => commands::status::doctor(a),
        Command::Wizard { command } => commands::wizard::run(command),
        Command::Contribute(a) => commands::contribute::run(a),
        Command::VerifyElection(a) => commands::verify_election::run(a),
    };
    let code = match res {
        Ok(code) => code,
        Err(e) => {
            let f = out::Failure::of(&e);
            errln!("panoramix: error: {}", f.message);
            ExitCode::from(f.code)
        }
    };
    out::finish(code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_consistent() {
        Cli::command().debug_assert();
    }
}
