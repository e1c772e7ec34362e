//! Below hyper: how the client spelled the `Guid` header name on the wire.
//!
//! hyper lowercases header names and hides the original spelling, so the
//! fault `guid-header-case-sensitive` cannot be written in the handler alone.
//! [`SniffAcceptor`] wraps the stream of every connection (after TLS, so it
//! sees plaintext HTTP/1.1) and scans the request heads as they are read: for
//! each request it records whether a `Guid` header was present and whether
//! its name was exactly `Guid`. The records are queued per connection in
//! request order; [`SniffService`] pops one per request hyper dispatches and
//! adds it to the request extensions as a [`WireGuid`].
//!
//! Framing follows `Content-Length` and `Transfer-Encoding: chunked`. If the
//! scan ever loses track of the framing (a malformed chunk size), no more
//! records are queued on that connection and the handler falls back to the
//! header as hyper parsed it. HTTP/2 is never offered (ALPN is `http/1.1`
//! only and the server is HTTP/1-only), so the scan always sees HTTP/1 text.

use std::collections::VecDeque;
use std::io;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::http::Request;
use axum_server::accept::Accept;
use futures_util::TryFutureExt;
use futures_util::future::MapOk;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tower_service::Service;

/// How one request carried the Guid header on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum WireGuid {
    /// No header named `guid` in any casing.
    #[default]
    Absent,
    /// The name was exactly `Guid`.
    TitleCase,
    /// The name was another casing (`guid`, `GUID`, ...).
    OtherCase,
}

/// The per-connection queue of records, shared by the stream and the service.
type WireLog = Arc<Mutex<VecDeque<WireGuid>>>;

/// An acceptor that wraps another one's stream and service (see module doc).
#[derive(Debug, Clone)]
pub(crate) struct SniffAcceptor<A> {
    inner: A,
}

impl<A> SniffAcceptor<A> {
    /// Wraps `inner`; for HTTPS pass the rustls acceptor, so plaintext is seen.
    pub(crate) fn new(inner: A) -> Self {
        SniffAcceptor { inner }
    }
}

type Wrap<St, Sv> = fn((St, Sv)) -> (SniffStream<St>, SniffService<Sv>);

impl<A, I, S> Accept<I, S> for SniffAcceptor<A>
where
    A: Accept<I, S>,
    A::Future: Future<Output = io::Result<(A::Stream, A::Service)>>,
{
    type Stream = SniffStream<A::Stream>;
    type Service = SniffService<A::Service>;
    type Future = MapOk<A::Future, Wrap<A::Stream, A::Service>>;

    fn accept(&self, stream: I, service: S) -> Self::Future {
        let wrap: Wrap<A::Stream, A::Service> = |(stream, service)| {
            let log = WireLog::default();
            (
                SniffStream {
                    inner: stream,
                    scanner: Scanner::new(log.clone()),
                },
                SniffService {
                    inner: service,
                    log,
                },
            )
        };
        self.inner.accept(stream, service).map_ok(wrap)
    }
}

/// A stream that scans what is read from it and passes everything through.
#[derive(Debug)]
pub(crate) struct SniffStream<S> {
    inner: S,
    scanner: Scanner,
}

impl<S: AsyncRead + Unpin> AsyncRead for SniffStream<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let poll = Pin::new(&mut this.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = poll {
            this.scanner.feed(&buf.filled()[before..]);
        }
        poll
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for SniffStream<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// A service that hands each request the record of its own head.
#[derive(Debug, Clone)]
pub(crate) struct SniffService<S> {
    inner: S,
    log: WireLog,
}

impl<S, B> Service<Request<B>> for SniffService<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let record = self.log.lock().ok().and_then(|mut log| log.pop_front());
        if let Some(record) = record {
            req.extensions_mut().insert(record);
        }
        self.inner.call(req)
    }
}

/// Longest line kept; longer lines are truncated (only their start matters).
const MAX_LINE: usize = 8 * 1024;

/// Where the scanner is in the HTTP/1.1 byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    RequestLine,
    Headers,
    Body(u64),
    ChunkSize,
    ChunkData(u64),
    ChunkDataEnd,
    Trailers,
    Lost,
}

/// An incremental scanner of request heads (see module doc).
#[derive(Debug)]
struct Scanner {
    state: State,
    line: Vec<u8>,
    guid: WireGuid,
    content_length: u64,
    chunked: bool,
    log: WireLog,
}

impl Scanner {
    fn new(log: WireLog) -> Self {
        Scanner {
            state: State::RequestLine,
            line: Vec::new(),
            guid: WireGuid::Absent,
            content_length: 0,
            chunked: false,
            log,
        }
    }

    fn feed(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            match self.state {
                State::Lost => return,
                State::Body(left) | State::ChunkData(left) => {
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(bytes.len());
                    bytes = &bytes[take..];
                    let left = left - take as u64;
                    self.state = match (self.state, left) {
                        (State::Body(_), 0) => State::RequestLine,
                        (State::Body(_), _) => State::Body(left),
                        (_, 0) => State::ChunkDataEnd,
                        _ => State::ChunkData(left),
                    };
                }
                _ => match bytes.iter().position(|b| *b == b'\n') {
                    Some(end) => {
                        self.keep(&bytes[..end]);
                        bytes = &bytes[end + 1..];
                        let mut line = std::mem::take(&mut self.line);
                        if line.last() == Some(&b'\r') {
                            line.pop();
                        }
                        self.on_line(&line);
                    }
                    None => {
                        self.keep(bytes);
                        return;
                    }
                },
            }
        }
    }

    fn keep(&mut self, bytes: &[u8]) {
        let room = MAX_LINE.saturating_sub(self.line.len());
        self.line.extend_from_slice(&bytes[..room.min(bytes.len())]);
    }

    fn on_line(&mut self, line: &[u8]) {
        self.state = match self.state {
            // Blank lines before a request line are allowed (RFC 9112 2.2).
            State::RequestLine if line.is_empty() => State::RequestLine,
            State::RequestLine => {
                self.guid = WireGuid::Absent;
                self.content_length = 0;
                self.chunked = false;
                State::Headers
            }
            State::Headers if line.is_empty() => {
                if let Ok(mut log) = self.log.lock() {
                    log.push_back(self.guid);
                }
                if self.chunked {
                    State::ChunkSize
                } else if self.content_length > 0 {
                    State::Body(self.content_length)
                } else {
                    State::RequestLine
                }
            }
            State::Headers => {
                self.on_header(line);
                State::Headers
            }
            State::ChunkSize => {
                let size = line.split(|b| *b == b';').next().unwrap_or_default();
                let size = std::str::from_utf8(size)
                    .ok()
                    .and_then(|size| u64::from_str_radix(size.trim(), 16).ok());
                match size {
                    Some(0) => State::Trailers,
                    Some(size) => State::ChunkData(size),
                    None => State::Lost,
                }
            }
            State::ChunkDataEnd => State::ChunkSize,
            State::Trailers if line.is_empty() => State::RequestLine,
            other => other,
        };
    }

    fn on_header(&mut self, line: &[u8]) {
        let Some(colon) = line.iter().position(|b| *b == b':') else {
            return;
        };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let value = String::from_utf8_lossy(value);
        if name.eq_ignore_ascii_case(b"guid") {
            if self.guid == WireGuid::Absent {
                self.guid = if name == b"Guid" {
                    WireGuid::TitleCase
                } else {
                    WireGuid::OtherCase
                };
            }
        } else if name.eq_ignore_ascii_case(b"content-length") {
            self.content_length = value.trim().parse().unwrap_or(0);
        } else if name.eq_ignore_ascii_case(b"transfer-encoding") {
            self.chunked = value.to_ascii_lowercase().contains("chunked");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(chunks: &[&[u8]]) -> Vec<WireGuid> {
        let log = WireLog::default();
        let mut scanner = Scanner::new(log.clone());
        for chunk in chunks {
            scanner.feed(chunk);
        }
        log.lock().unwrap().iter().copied().collect()
    }

    #[test]
    fn records_one_entry_per_request_in_order() {
        let wire = b"POST /a HTTP/1.1\r\nGuid: x\r\nContent-Length: 18\r\n\r\nguid: not a header\
                     POST /b HTTP/1.1\r\nguid: y\r\n\r\n\
                     GET /c HTTP/1.1\r\nHost: h\r\n\r\n\
                     POST /d HTTP/1.1\r\nGUID: z\r\n\r\n";
        let expected = vec![
            WireGuid::TitleCase,
            WireGuid::OtherCase,
            WireGuid::Absent,
            WireGuid::OtherCase,
        ];
        assert_eq!(scan(&[wire]), expected);
        // The same bytes split at every position give the same records.
        for split in 1..wire.len() {
            assert_eq!(scan(&[&wire[..split], &wire[split..]]), expected, "{split}");
        }
    }

    #[test]
    fn follows_chunked_bodies() {
        let wire = b"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\nguid: x\r\n\r\n\
                     5\r\nGuid:\r\n0\r\n\r\n\
                     POST /b HTTP/1.1\r\nGuid: y\r\n\r\n";
        assert_eq!(
            scan(&[wire]),
            vec![WireGuid::OtherCase, WireGuid::TitleCase]
        );
    }

    #[test]
    fn stops_recording_when_framing_is_lost() {
        let wire = b"POST /a HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n\
                     POST /b HTTP/1.1\r\nGuid: y\r\n\r\n";
        assert_eq!(scan(&[wire]), vec![WireGuid::Absent]);
    }
}
