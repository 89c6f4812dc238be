//! HTTP GETs to the checksum database, through the host context (`Ctx::http_get`, plugin
//! API 1.1): the host enforces `--online`, the timeout and the size cap, and records and
//! replays the answers like every other probe. This module only turns answers into the
//! errors the online checks distinguish.

use std::time::{Duration, Instant};

use gohost_plugin_api::{Ctx, ProbeErrorKind};

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
    /// Replaying a snapshot that holds no answer for this request.
    NotRecorded { url: String },
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
            | HttpError::Body { url, .. }
            | HttpError::NotRecorded { url } => url,
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
            HttpError::NotRecorded { url } => {
                write!(
                    f,
                    "GET {url}: the snapshot being replayed has no answer for it"
                )
            }
        }
    }
}

/// A client bound to the host context; every request gives up after `timeout`.
#[derive(Clone, Copy)]
pub struct Http<'c, 'a> {
    ctx: &'c Ctx<'a>,
    timeout: Duration,
}

impl<'c, 'a> Http<'c, 'a> {
    pub fn new(ctx: &'c Ctx<'a>, timeout: Duration) -> Http<'c, 'a> {
        Http { ctx, timeout }
    }

    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub fn get(&self, url: &str) -> Result<Vec<u8>, HttpError> {
        let started = Instant::now();
        let url_owned = || url.to_owned();
        match self.ctx.http_get(url, self.timeout, MAX_BODY) {
            Ok(resp) if resp.truncated => Err(HttpError::Body {
                url: url_owned(),
                message: format!("response larger than {MAX_BODY} bytes"),
            }),
            Ok(resp) if resp.status == 200 => Ok(resp.body.into_vec()),
            Ok(resp) => {
                let body: String = String::from_utf8_lossy(&resp.body)
                    .chars()
                    .take(512)
                    .collect();
                Err(HttpError::Status {
                    url: url_owned(),
                    code: resp.status,
                    body,
                })
            }
            Err(e) => Err(match e.kind {
                ProbeErrorKind::Timeout => HttpError::Timeout {
                    url: url_owned(),
                    after: started.elapsed(),
                },
                ProbeErrorKind::NotRecorded => HttpError::NotRecorded { url: url_owned() },
                _ => HttpError::Unreachable {
                    url: url_owned(),
                    message: e.message.to_string(),
                },
            }),
        }
    }
}
