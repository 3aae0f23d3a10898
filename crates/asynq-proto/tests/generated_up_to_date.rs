//! Checks that `src/generated/asynq.rs` matches what prost-build produces from
//! `proto/asynq.proto`.
//!
//! The .proto file is compiled in-process with `protox` (no system `protoc`
//! needed) and the Rust code is produced by `prost-build`. When the schema or
//! the generator settings change, regenerate the committed file with:
//!
//! ```text
//! ASYNQ_REGENERATE_PROTO=1 cargo test -p asynq-proto --test generated_up_to_date
//! ```

use std::fs;
use std::path::{Path, PathBuf};

/// Environment variable that makes this test rewrite the committed file.
const REGENERATE_ENV: &str = "ASYNQ_REGENERATE_PROTO";

fn crate_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn proto_dir() -> PathBuf {
    crate_dir().join("..").join("..").join("proto")
}

fn committed_path() -> PathBuf {
    crate_dir().join("src").join("generated").join("asynq.rs")
}

/// Runs protox + prost-build with the project's settings and returns the
/// generated Rust source.
fn generate(out_dir: &Path) -> String {
    let proto_dir = proto_dir();
    let fds = protox::compile(["asynq.proto"], [&proto_dir]).unwrap_or_else(|e| {
        panic!(
            "failed to compile {}: {e:?}",
            proto_dir.join("asynq.proto").display()
        )
    });

    let mut config = prost_build::Config::new();
    config
        // Payload fields become `bytes::Bytes`, so decoding from a `Bytes`
        // buffer and cloning messages does not copy payloads.
        .bytes(["."])
        .out_dir(out_dir);
    config
        .compile_fds(fds)
        .expect("prost-build failed to generate code");

    let generated = out_dir.join("asynq.rs");
    fs::read_to_string(&generated)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", generated.display()))
}

/// Line endings may be converted by git on some platforms; compare content only.
fn normalize(s: &str) -> String {
    s.replace("\r\n", "\n")
}

#[test]
fn generated_code_is_up_to_date() {
    let tmp = tempfile::tempdir().expect("create temp dir");
    let fresh = generate(tmp.path());
    let committed_path = committed_path();

    if std::env::var(REGENERATE_ENV).is_ok_and(|v| v == "1") {
        fs::create_dir_all(committed_path.parent().unwrap()).expect("create src/generated");
        fs::write(&committed_path, &fresh)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", committed_path.display()));
        eprintln!("regenerated {}", committed_path.display());
        return;
    }

    let committed = fs::read_to_string(&committed_path).unwrap_or_default();
    if normalize(&committed) != normalize(&fresh) {
        let first_diff = normalize(&committed)
            .lines()
            .zip(normalize(&fresh).lines())
            .position(|(a, b)| a != b)
            .map(|i| format!("first difference at line {}", i + 1))
            .unwrap_or_else(|| "files differ in length".to_owned());
        panic!(
            "{} is out of date with proto/asynq.proto ({first_diff}).\n\
             Regenerate it with:\n\n    \
             {REGENERATE_ENV}=1 cargo test -p asynq-proto --test generated_up_to_date\n\n\
             and commit the result.",
            committed_path.display()
        );
    }
}
