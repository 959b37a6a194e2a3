// `xmllint --schema` over the OASIS CAP 1.2 schema, for the CAP unit tests (`formats::cap`
// includes this file, so it has no inner attributes) and the warnings' integration tests.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

/// `Some(valid)` from xmllint reading `xml` on its standard input, or `None` when it is
/// missing (a loud SKIP, or a failure when `WXDESK_REQUIRE_PEERS=1`).
pub fn xmllint(xml: &str) -> Option<bool> {
    let schema = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cap/CAP-v1.2.xsd");
    let run = Command::new("xmllint")
        .args(["--noout", "--schema"])
        .arg(&schema)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .and_then(|mut child| {
            child
                .stdin
                .take()
                .expect("piped")
                .write_all(xml.as_bytes())?;
            child.wait()
        });
    match run {
        Ok(status) => Some(status.success()),
        Err(e) if std::env::var("WXDESK_REQUIRE_PEERS").as_deref() == Ok("1") => {
            panic!("xmllint is required (WXDESK_REQUIRE_PEERS=1) but cannot run: {e}")
        }
        Err(e) => {
            eprintln!(
                "\n*** SKIP: CAP schema validation not run: xmllint unavailable ({e}); install libxml2-utils ***\n"
            );
            None
        }
    }
}
