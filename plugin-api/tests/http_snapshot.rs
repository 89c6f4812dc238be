//! The `http` snapshot probe (plugin API 1.1.0): its JSON form, replay with the body cap, and
//! `not-recorded` for an unknown URL — what `gohost run --replay` and `TestContext` rely on.

use gohost_plugin_api::snapshot::{Answer, Bytes, HttpAnswer, ProbeRecord, Replayer, Snapshot};
use gohost_plugin_api::{Facts, ProbeErrorKind, Translation};

fn facts() -> Facts {
    Facts {
        os: "linux".into(),
        process_arch: "x86_64".into(),
        machine: "x86_64".into(),
        os_version: "".into(),
        translation: Translation::Native,
        translation_evidence: "".into(),
        chip: None.into(),
        go: None.into(),
    }
}

#[test]
fn http_record_round_trips_and_replays_with_the_cap() {
    let mut snapshot = Snapshot::new(facts(), "test");
    snapshot.probes.push(ProbeRecord::Http {
        url: "https://sum.golang.org/latest".into(),
        result: Answer::Ok(HttpAnswer {
            status: 200,
            body: Bytes::from("go.sum database tree\n42\n"),
            truncated: false,
        }),
        source: None,
    });
    let json = snapshot.to_json();
    assert!(json.contains("\"probe\": \"http\""), "{json}");
    let parsed = Snapshot::from_json(&json).expect("parses");
    assert_eq!(parsed, snapshot);

    let replayer = Replayer::new(parsed);
    let whole = replayer
        .http_get("https://sum.golang.org/latest", 0)
        .expect("recorded");
    assert_eq!(
        (whole.status, whole.body.as_slice(), whole.truncated),
        (200, &b"go.sum database tree\n42\n"[..], false)
    );
    let cut = replayer
        .http_get("https://sum.golang.org/latest", 6)
        .expect("recorded");
    assert_eq!((cut.body.as_slice(), cut.truncated), (&b"go.sum"[..], true));
    let missing = replayer
        .http_get("https://proxy.golang.org/", 0)
        .expect_err("not recorded");
    assert_eq!(missing.kind, ProbeErrorKind::NotRecorded);
    assert!(
        missing.message.contains("https://proxy.golang.org/"),
        "{}",
        missing.message
    );
}
