//! The contributor's configuration as the commands read it: read-only commands
//! (`status`, `doctor`, `contribute`) never create a file, a directory or a key (a
//! missing, damaged or keyless configuration is an error naming the file).
mod common;

use common::*;
use serde_json::{Value as Json, json};
use std::path::Path;

/// Write a configuration file (mode 0600, plaintext keys) from `{KEY: value}`.
fn write_config(path: &Path, values: &[(&str, Json)]) {
    let mut m = serde_json::Map::new();
    for (k, v) in values {
        m.insert(
            (*k).into(),
            json!({"value": v, "title": k, "description": k}),
        );
    }
    std::fs::write(
        path,
        serde_json::to_string_pretty(&Json::Object(m)).unwrap(),
    )
    .unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

#[test]
fn read_only_commands_on_a_missing_config_fail_naming_it_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing_dir = dir.path().join("nonexistent");
    let cfg = missing_dir.join("c.json");
    let cfg_s = cfg.to_str().unwrap();
    for cmd in ["status", "doctor", "contribute"] {
        let (code, out, err) = run_cli(
            &[
                "--insecure-plaintext-keys",
                cmd,
                "--config",
                cfg_s,
                "--url",
                "http://127.0.0.1:9/",
            ],
            None,
        );
        assert_eq!(code, 2, "{cmd}: {out}{err}");
        assert!(err.contains(cfg_s), "{cmd} names the file: {err}");
        assert!(
            !missing_dir.exists(),
            "{cmd} created {}",
            missing_dir.display()
        );
    }
}

#[test]
fn a_damaged_or_keyless_config_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let keyless = dir.path().join("keyless.json");
    write_config(
        &keyless,
        &[
            ("CATALOG_URL", json!("http://127.0.0.1:9/")),
            ("BACKEND", json!("SPHINXMIX")),
        ],
    );
    let before = std::fs::read(&keyless).unwrap();
    let damaged = dir.path().join("damaged.json");
    std::fs::write(&damaged, "{\"KEY\": ").unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&damaged, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    for cmd in ["status", "doctor", "contribute"] {
        let (code, out, err) = run_cli(
            &[
                "--insecure-plaintext-keys",
                cmd,
                "--config",
                keyless.to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(code, 2, "{cmd}: {out}{err}");
        assert!(
            err.contains(keyless.to_str().unwrap()) && err.contains("no identity key"),
            "{cmd}: {err}"
        );
        assert!(!err.contains("created key"), "{cmd}: {err}");
        assert_eq!(std::fs::read(&keyless).unwrap(), before, "{cmd} wrote");
        let (code, out, err) = run_cli(
            &[
                "--insecure-plaintext-keys",
                cmd,
                "--config",
                damaged.to_str().unwrap(),
            ],
            None,
        );
        assert_eq!(code, 2, "{cmd}: {out}{err}");
        assert!(
            err.contains(damaged.to_str().unwrap()) && err.contains("damaged"),
            "{cmd}: {err}"
        );
    }
}
