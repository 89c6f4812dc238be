//! `http_get` of the live probes: ureq with a deadline for the whole exchange, a body cap, and
//! redirects followed here, one judged hop at a time ([`redirect_target`]).

use super::*;

/// GET `url` within `timeout_ms` (0 = the default command timeout), at most `max_bytes` of
/// body (0 = the output cap; never more than it).
pub(super) fn get(
    limits: &Limits,
    url: &str,
    timeout_ms: u64,
    max_bytes: u64,
) -> Result<HttpResponse, ProbeError> {
    let timeout = if timeout_ms == 0 {
        limits.default_exec_timeout
    } else {
        Duration::from_millis(timeout_ms)
    };
    let cap = if max_bytes == 0 {
        limits.max_output_bytes as u64
    } else {
        max_bytes.min(limits.max_output_bytes as u64)
    };
    // ureq's agent timeout is a deadline for the whole exchange, body included.
    // Redirects are followed here, not by ureq (which follows up to 5 to anywhere by
    // default: ureq 2.12.1 src/agent.rs, `AgentBuilder::redirects`), so each hop can be
    // judged first.
    let agent = ureq::AgentBuilder::new()
        .timeout(timeout)
        .redirects(0)
        .build();
    let mut current = url.to_owned();
    let mut hops = 0;
    let response = loop {
        let response = match agent.get(&current).call() {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(ureq::Error::Transport(transport)) => {
                return Err(transport_error(&current, timeout, &transport))
            }
        };
        let location = match response.status() {
            301 | 302 | 303 | 307 | 308 => response.header("location").map(str::to_owned),
            _ => None,
        };
        let Some(location) = location else {
            break response;
        };
        hops += 1;
        if hops > MAX_REDIRECTS {
            return Err(probe_error(
                ProbeErrorKind::Other,
                format!("GET {url}: more than {MAX_REDIRECTS} redirects"),
            ));
        }
        current = redirect_target(&current, &location).map_err(|why| {
            probe_error(
                ProbeErrorKind::PermissionDenied,
                format!("GET {url}: {why}"),
            )
        })?;
    };
    let status = response.status();
    let mut body = Vec::new();
    response
        .into_reader()
        .take(cap.saturating_add(1))
        .read_to_end(&mut body)
        .map_err(|e| {
            let kind = if is_timeout(&e) {
                ProbeErrorKind::Timeout
            } else {
                ProbeErrorKind::Other
            };
            probe_error(kind, format!("GET {url}: reading the body: {e}"))
        })?;
    let truncated = body.len() as u64 > cap;
    body.truncate(usize::try_from(cap).unwrap_or(usize::MAX));
    Ok(HttpResponse {
        status,
        body: body.into(),
        truncated,
    })
}

/// Redirects followed by `http_get` before it gives up.
const MAX_REDIRECTS: u32 = 5;

/// Where a redirect from `from` to `location` leads, if gohost follows it: only to the same
/// host and port, and never from https to http (a downgrade would expose the request, and
/// another host is not the one the check asked). http → https on the same host is an
/// upgrade and is followed.
pub fn redirect_target(from: &str, location: &str) -> Result<String, String> {
    let base = url::Url::parse(from).map_err(|e| format!("bad URL `{from}`: {e}"))?;
    let next = base
        .join(location)
        .map_err(|e| format!("bad redirect target `{location}`: {e}"))?;
    if base.scheme() == "https" && next.scheme() != "https" {
        return Err(format!(
            "refused a redirect from https to {} (`{next}`): a downgrade",
            next.scheme()
        ));
    }
    if !matches!(next.scheme(), "https" | "http") {
        return Err(format!("refused a redirect to `{next}`: not http(s)"));
    }
    let same_host = base.host_str() == next.host_str()
        && (base.port_or_known_default() == next.port_or_known_default()
            || (base.scheme() == "http" && next.scheme() == "https" && next.port().is_none()));
    if !same_host {
        return Err(format!(
            "refused a redirect to another host (`{}` → `{}`)",
            base.host_str().unwrap_or(""),
            next.host_str().unwrap_or("")
        ));
    }
    Ok(next.to_string())
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
    )
}

fn transport_error(url: &str, timeout: Duration, transport: &ureq::Transport) -> ProbeError {
    let mut source: Option<&(dyn std::error::Error + 'static)> =
        std::error::Error::source(transport);
    while let Some(e) = source {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if is_timeout(io) {
                return probe_error(
                    ProbeErrorKind::Timeout,
                    format!("GET {url}: no answer within {timeout:?}"),
                );
            }
        }
        source = e.source();
    }
    let kind = match transport.kind() {
        ureq::ErrorKind::InvalidUrl | ureq::ErrorKind::UnknownScheme => {
            ProbeErrorKind::InvalidInput
        }
        _ => ProbeErrorKind::Other,
    };
    probe_error(kind, format!("GET {url}: {transport}"))
}
