//! The key files and signatures are standard: OpenSSL reads the keys uproot
//! writes and verifies its signatures, independently of this crate's code.

use std::path::Path;
use std::process::Command;

use uproot_evidence::{canonical, keys};

fn openssl() -> Option<&'static str> {
    let ok = Command::new("openssl")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("skipping: openssl is not installed");
    }
    ok.then_some("openssl")
}

fn run(args: &[&str]) -> (bool, String) {
    let out = Command::new("openssl").args(args).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn openssl_reads_the_key_and_verifies_a_signature() {
    let Some(_) = openssl() else { return };
    let tmp = tempfile::tempdir().unwrap();
    let (key, created) = keys::load_or_create(tmp.path()).unwrap();
    assert!(created);
    let private = key.private_path();
    let public = key.public_path();
    let p = |p: &Path| p.display().to_string();

    // The public key OpenSSL derives from our private key file is our public key file.
    let (ok, derived) = run(&["pkey", "-in", &p(&private), "-pubout"]);
    assert!(ok, "{derived}");
    assert_eq!(
        derived.trim(),
        std::fs::read_to_string(&public).unwrap().trim()
    );

    // A signature over the evidence message verifies with `openssl pkeyutl`.
    let message = uproot_evidence::signed_message(
        &serde_json::json!({"schema": "uproot.evidence/1", "x": [1, 2]}),
    );
    let sig = key.sign(&message);
    let msg_file = tmp.path().join("msg");
    let sig_file = tmp.path().join("sig");
    std::fs::write(&msg_file, &message).unwrap();
    std::fs::write(&sig_file, sig.to_bytes()).unwrap();
    let verify = |msg: &Path| {
        run(&[
            "pkeyutl",
            "-verify",
            "-pubin",
            "-inkey",
            &p(&public),
            "-rawin",
            "-in",
            &p(msg),
            "-sigfile",
            &p(&sig_file),
        ])
    };
    let (ok, out) = verify(&msg_file);
    assert!(ok, "openssl rejected the signature: {out}");
    // And rejects it for a changed message.
    let mut changed = message.clone();
    *changed.last_mut().unwrap() ^= 1;
    std::fs::write(&msg_file, &changed).unwrap();
    let (ok, _) = verify(&msg_file);
    assert!(!ok);

    // A signature made by OpenSSL with our key verifies with ours.
    std::fs::write(&msg_file, &message).unwrap();
    let (ok, out) = run(&[
        "pkeyutl",
        "-sign",
        "-inkey",
        &p(&private),
        "-rawin",
        "-in",
        &p(&msg_file),
        "-out",
        &p(&sig_file),
    ]);
    assert!(ok, "{out}");
    let theirs = std::fs::read(&sig_file).unwrap();
    assert_eq!(
        canonical::hex(&theirs),
        canonical::hex(&sig.to_bytes()),
        "ed25519 is deterministic"
    );
}
