//! `cgo.xcode`: on macOS, the developer tools (`xcode-select -p`), the SDK (`xcrun
//! --show-sdk-path`) and, for a full Xcode, its license.

use gohost_plugin_api::{inventory, Check, Ctx, Finding, Needs, ProbeErrorKind};

use crate::probe::{answer, Answer};

inventory::submit! { Check {
    id: "cgo.xcode",
    title: "Xcode Command Line Tools and SDK",
    explain: "macOS: `xcode-select -p` (developer tools installed), `xcrun --show-sdk-path` (the SDK clang links against) and, for a full Xcode, `xcodebuild -license check` (an unaccepted license makes clang refuse to run). Skipped on Linux.",
    tags: &["cgo", "macos"],
    needs: Needs::NONE,
    run: |ctx| judge(&gather(ctx)),
} }

#[derive(Debug, Clone, PartialEq, Eq)]
struct Observations {
    macos: bool,
    select: Option<Answer>,
    /// Asked only when `xcode-select -p` succeeded.
    sdk: Option<Answer>,
    /// Asked only for a full Xcode.
    license: Option<Answer>,
}

fn gather(ctx: &Ctx<'_>) -> Observations {
    let macos = ctx.facts().os.as_str() == "macos";
    let mut obs = Observations {
        macos,
        select: None,
        sdk: None,
        license: None,
    };
    if !macos {
        return obs;
    }
    let select = answer(ctx.run(&["xcode-select", "-p"]));
    if let Ok(sel) = &select {
        if sel.success {
            obs.sdk = Some(answer(ctx.run(&["xcrun", "--show-sdk-path"])));
            let dev = sel.stdout.trim();
            if dev.contains("/Xcode") && dev.contains(".app") {
                obs.license = Some(answer(ctx.run(&["xcodebuild", "-license", "check"])));
            }
        }
    }
    obs.select = Some(select);
    obs
}

fn judge(obs: &Observations) -> Vec<Finding> {
    let Some(select) = obs.select.as_ref().filter(|_| obs.macos) else {
        return vec![Finding::skip(
            "Xcode Command Line Tools are macOS-only (on Linux the compiler is cgo.compiler)",
        )];
    };
    let sel = match select {
        Ok(o) => o,
        Err(e) if e.kind == ProbeErrorKind::NotRecorded => {
            return vec![Finding::skip("`xcode-select -p` was not recorded")]
        }
        Err(e) => return vec![Finding::skip("could not run xcode-select").detail(&e.message)],
    };
    if !sel.success {
        return vec![Finding::fail("no Xcode Command Line Tools: `xcode-select -p` fails")
            .detail("Without them there is no working clang, headers or SDK, so cgo is off (Go 1.20+) or fails.")
            .evidence("xcode-select -p", format!("{} {}", sel.exit, sel.stderr.trim()), "xcode-select -p")
            .remediation("Install them:", ["xcode-select --install"])];
    }
    let dev = sel.stdout.trim().to_owned();
    let mut f = match &obs.sdk {
        Some(Ok(o)) if o.success => {
            Finding::pass(format!("developer tools at {dev}, SDK {}", o.stdout.trim()))
        }
        Some(Ok(o)) => Finding::fail("the macOS SDK is not found: `xcrun --show-sdk-path` fails")
            .evidence(
                "xcrun",
                format!("{} {}", o.exit, o.stderr.trim()),
                "xcrun --show-sdk-path",
            )
            .remediation(
                "Reinstall the Command Line Tools:",
                [
                    "sudo rm -rf /Library/Developer/CommandLineTools",
                    "xcode-select --install",
                ],
            ),
        Some(Err(e)) if e.kind == ProbeErrorKind::NotRecorded => Finding::skip(
            "could not tell whether the SDK is found: `xcrun --show-sdk-path` was not recorded",
        ),
        Some(Err(e)) => Finding::warn("could not run xcrun").detail(&e.message),
        None => Finding::warn("could not run xcrun"),
    };
    f = f.evidence("developer_dir", &dev, "xcode-select -p");
    if let Some(Ok(o)) = &obs.sdk {
        f = f.evidence("sdk", o.stdout.trim(), "xcrun --show-sdk-path");
    }
    if let Some(Ok(o)) = &obs.license {
        f = f.evidence(
            "license",
            if o.success {
                "accepted".into()
            } else {
                format!("not accepted ({})", o.exit)
            },
            "xcodebuild -license check",
        );
        if !o.success {
            f = Finding::fail("the Xcode license has not been accepted: clang refuses to run")
                .evidence("developer_dir", &dev, "xcode-select -p")
                .remediation("Accept it:", ["sudo xcodebuild -license accept"]);
        }
    }
    vec![f]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::{failed, missing, ok};
    use gohost_plugin_api::Status;

    fn obs(select: Option<Answer>, sdk: Option<Answer>, license: Option<Answer>) -> Observations {
        Observations {
            macos: true,
            select,
            sdk,
            license,
        }
    }

    /// Data → findings for every answer `xcode-select -p`, `xcrun` and `xcodebuild` can give.
    #[test]
    fn table() {
        let clt = || Some(ok("/Library/Developer/CommandLineTools\n"));
        let xcode = || Some(ok("/Applications/Xcode.app/Contents/Developer\n"));
        let sdk = || Some(ok("/Library/Developer/CommandLineTools/SDKs/MacOSX.sdk\n"));
        let rows: Vec<(&str, Observations, Status, &str)> = vec![
            (
                "linux",
                Observations {
                    macos: false,
                    select: None,
                    sdk: None,
                    license: None,
                },
                Status::Skip,
                "macOS-only",
            ),
            (
                "no CLT",
                obs(
                    Some(failed(
                        2,
                        "xcode-select: error: unable to get active developer directory",
                    )),
                    None,
                    None,
                ),
                Status::Fail,
                "no Xcode Command Line Tools",
            ),
            (
                "not recorded",
                obs(Some(missing(ProbeErrorKind::NotRecorded)), None, None),
                Status::Skip,
                "not recorded",
            ),
            (
                "cannot run",
                obs(Some(missing(ProbeErrorKind::Other)), None, None),
                Status::Skip,
                "could not run xcode-select",
            ),
            (
                "clt + sdk",
                obs(clt(), sdk(), None),
                Status::Pass,
                "developer tools at /Library/Developer/CommandLineTools",
            ),
            (
                "no sdk",
                obs(clt(), Some(failed(1, "xcrun: error")), None),
                Status::Fail,
                "SDK is not found",
            ),
            (
                "xcode, license ok",
                obs(xcode(), sdk(), Some(ok(""))),
                Status::Pass,
                "developer tools at /Applications/Xcode.app",
            ),
            (
                "xcode, license not accepted",
                obs(xcode(), sdk(), Some(failed(1, ""))),
                Status::Fail,
                "license has not been accepted",
            ),
        ];
        for (name, o, status, title) in rows {
            let f = judge(&o);
            assert_eq!(f.len(), 1, "{name}");
            assert_eq!(f[0].status, status, "{name}: {}", f[0].title);
            assert!(f[0].title.contains(title), "{name}: {}", f[0].title);
        }
        // Section 2: an unrecorded xcrun answer is "could not tell", not "could not run".
        let f = judge(&obs(
            Some(ok("/Library/Developer/CommandLineTools\n")),
            Some(missing(ProbeErrorKind::NotRecorded)),
            None,
        ));
        assert_eq!(f[0].status, Status::Skip, "{}", f[0].title);
        assert!(f[0].title.contains("not recorded"), "{}", f[0].title);
    }
}
