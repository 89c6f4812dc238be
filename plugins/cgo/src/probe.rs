//! Command answers as plain data, so the checks' judges can be tested without a context.

use gohost_plugin_api::{ctx::Output, ProbeError, ProbeErrorKind};

/// A command that ran to an exit (any exit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ran {
    pub success: bool,
    /// `exit 0`, `exit 2`, `signal 9`, `timed out`.
    pub exit: String,
    pub stdout: String,
    pub stderr: String,
}

/// A command's answer, or why there is none.
pub(crate) type Answer = Result<Ran, NoAnswer>;

/// Why a command has no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NoAnswer {
    pub kind: ProbeErrorKind,
    pub message: String,
}

impl std::fmt::Display for NoAnswer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

pub(crate) fn answer(r: Result<Output, ProbeError>) -> Answer {
    match r {
        Ok(o) => Ok(Ran {
            success: o.success(),
            exit: o.describe_exit(),
            stdout: o.stdout,
            stderr: o.stderr,
        }),
        Err(e) => Err(NoAnswer {
            kind: e.kind,
            message: e.to_string(),
        }),
    }
}

/// The last `max` bytes of `s` (on a char boundary), marked when cut.
pub(crate) fn tail(s: &str, max: usize) -> String {
    let s = s.trim();
    if s.len() <= max {
        return s.to_owned();
    }
    let mut start = s.len() - max;
    while !s.is_char_boundary(start) {
        start += 1;
    }
    format!("…{}", &s[start..])
}

#[cfg(test)]
pub(crate) fn ok(stdout: &str) -> Answer {
    Ok(Ran {
        success: true,
        exit: "exit 0".into(),
        stdout: stdout.into(),
        stderr: String::new(),
    })
}

#[cfg(test)]
pub(crate) fn failed(code: i32, stderr: &str) -> Answer {
    Ok(Ran {
        success: false,
        exit: format!("exit {code}"),
        stdout: String::new(),
        stderr: stderr.into(),
    })
}

#[cfg(test)]
pub(crate) fn missing(kind: ProbeErrorKind) -> Answer {
    Err(NoAnswer {
        kind,
        message: format!("{kind:?}"),
    })
}
