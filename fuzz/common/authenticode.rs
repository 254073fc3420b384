//! What every parsed Authenticode signature must look like, whatever the input.

use uproot_collect::deep::pe::AuthenticodeSignature;

/// `pe::MAX_NESTED` and `pe::MAX_CERTS` (private): nested signatures are
/// followed at most this deep and this many per level; a bag holds at most
/// this many certificates.
const MAX_NESTED: usize = 8;
const MAX_CERTS: usize = 256;

/// Checks `sig` and its nested signatures; `input` is the length of the bytes
/// it came from.
pub fn check(sig: &AuthenticodeSignature, input: usize) {
    if std::env::var_os("UPROOT_FUZZ_VERBOSE").is_some() {
        eprintln!(
            "signed by {:?}, {} certificate(s), {} nested",
            sig.signer_subject,
            sig.all_subjects.len(),
            sig.flatten().len() - 1
        );
    }
    check_at(sig, 0);
    // Nested signatures lie side by side inside their parent's bytes, and each
    // holds a certificate of its own (the signer's), which takes more than 32
    // bytes: no signature is counted twice.
    let all = sig.flatten().len();
    assert!(all * 32 <= input, "{all} signatures from {input} bytes");
}

fn check_at(sig: &AuthenticodeSignature, depth: usize) {
    assert!(depth <= MAX_NESTED, "nested {depth} deep");
    assert!(
        sig.nested.len() <= MAX_NESTED,
        "{} nested signatures",
        sig.nested.len()
    );
    assert!(!sig.chain.is_empty(), "empty chain");
    assert_eq!(
        sig.chain[0], sig.signer_subject,
        "chain does not start at the signer"
    );
    assert!(
        sig.all_subjects.contains(&sig.signer_subject),
        "signer {:?} is not in the bag",
        sig.signer_subject
    );
    assert!(sig.all_subjects.len() <= MAX_CERTS);
    // One step per certificate of the bag, plus the issuer name that ends it.
    assert!(
        sig.chain.len() <= sig.all_subjects.len() + 1,
        "chain {:?}",
        sig.chain
    );
    for n in &sig.nested {
        check_at(n, depth + 1);
    }
}
