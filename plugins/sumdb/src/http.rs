//! The one place this plugin does I/O outside the host context: HTTP GETs to the checksum
//! database, with ureq. The host context has no network method (yet), so this module is the
//! deliberate exception: every request has explicit connect, read and overall timeouts and a
//! response size cap, so an online check can be slow but never hangs. It runs only for
//! checks with `needs.network`, which the host runs only with `--online`.

use std::io::Read as _;
use std::time::{Duration, Instant};

/// The largest body accepted (a full tile is 8 KiB; a lookup or tree head far less).
const MAX_BODY: u64 = 1 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HttpError {
    /// No answer within the timeout (connect or read).
    Timeout { url: String, after: Duration },
    /// Could not connect (refused, DNS, TLS).
    Unreachable { url: String, message: String },
    /// An HTTP error status; `body` is the start of the response.
    Status {
        url: String,
        code: u16,
        body: String,
    },
    /// The body could not be read or was too large.
    Body { url: String, message: String },
}

impl HttpError {
    /// Not-found answers (404/410) mean "no such record/tile", not an outage.
    pub fn is_not_found(&self) -> bool {
        matches!(
            self,
            HttpError::Status {
                code: 404 | 410,
                ..
            }
        )
    }

    pub fn url(&self) -> &str {
        match self {
            HttpError::Timeout { url, .. }
            | HttpError::Unreachable { url, .. }
            | HttpError::Status { url, .. }
            | HttpError::Body { url, .. } => url,
        }
    }
}

impl std::fmt::Display for HttpError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            HttpError::Timeout { url, after } => {
                write!(
                    f,
                    "GET {url}: no answer within {:.1} s",
                    after.as_secs_f64()
                )
            }
            HttpError::Unreachable { url, message } => write!(f, "GET {url}: {message}"),
            HttpError::Status { url, code, body } => {
                write!(f, "GET {url}: HTTP {code}: {}", body.trim())
            }
            HttpError::Body { url, message } => write!(f, "GET {url}: {message}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Http {
    agent: ureq::Agent,
    timeout: Duration,
}

impl Http {
    /// A client whose every request gives up after `timeout` (connect, each read, total).
    pub fn new(timeout: Duration) -> Http {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(timeout)
            .timeout_read(timeout)
            .timeout_write(timeout)
            .timeout(timeout)
            .redirects(2)
            .user_agent(concat!("gohost-plugin-sumdb/", env!("CARGO_PKG_VERSION")))
            .build();
        Http { agent, timeout }
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub fn get(&self, url: &str) -> Result<Vec<u8>, HttpError> {
        let started = Instant::now();
        let timed_out = |message: &str| {
            let lower = message.to_ascii_lowercase();
            lower.contains("timed out")
                || lower.contains("timeout")
                || lower.contains("would block")
                || started.elapsed() + Duration::from_millis(50) >= self.timeout
        };
        match self.agent.get(url).call() {
            Ok(resp) => {
                let mut body = Vec::new();
                let read = resp.into_reader().take(MAX_BODY + 1).read_to_end(&mut body);
                match read {
                    Ok(_) if body.len() as u64 > MAX_BODY => Err(HttpError::Body {
                        url: url.to_owned(),
                        message: format!("response larger than {MAX_BODY} bytes"),
                    }),
                    Ok(_) => Ok(body),
                    Err(e) if timed_out(&e.to_string()) => Err(HttpError::Timeout {
                        url: url.to_owned(),
                        after: started.elapsed(),
                    }),
                    Err(e) => Err(HttpError::Body {
                        url: url.to_owned(),
                        message: e.to_string(),
                    }),
                }
            }
            Err(ureq::Error::Status(code, resp)) => {
                let mut body = String::new();
                let _ = resp.into_reader().take(512).read_to_string(&mut body);
                Err(HttpError::Status {
                    url: url.to_owned(),
                    code,
                    body,
                })
            }
            Err(ureq::Error::Transport(t)) => {
                let message = t.to_string();
                if timed_out(&message) {
                    Err(HttpError::Timeout {
                        url: url.to_owned(),
                        after: started.elapsed(),
                    })
                } else {
                    Err(HttpError::Unreachable {
                        url: url.to_owned(),
                        message,
                    })
                }
            }
        }
    }
}
