//! Every request body has a deadline: a client that stops sending (a multipart upload without
//! its closing boundary, a JSON body shorter than its Content-Length) gets 408 and the server
//! gets its buffers back, instead of holding them until the socket dies.

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::middleware::Next;
use bytes::Bytes;
use futures_util::Stream;
use std::pin::Pin;
use std::time::Duration;

/// How long a body may pause between chunks, and how long it may take in all.
#[derive(Clone, Copy)]
pub struct BodyDeadline {
    pub idle: Duration,
    pub total: Duration,
}

pub async fn enforce(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    use actix_web::http::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
    use actix_web::HttpMessage;
    // A request without either header has no body: nothing to time.
    let has_body = req.headers().contains_key(CONTENT_LENGTH) || req.headers().contains_key(TRANSFER_ENCODING);
    let limits = req.app_data::<actix_web::web::Data<BodyDeadline>>().map(|d| *d.get_ref()).filter(|_| has_body);
    if let Some(limits) = limits {
        let payload = req.take_payload();
        let stream: Pin<Box<dyn Stream<Item = Result<Bytes, PayloadError>>>> = Box::pin(with_deadline(payload, limits));
        req.set_payload(Payload::from(stream));
    }
    next.call(req).await
}

fn timed_out(what: &str) -> PayloadError {
    PayloadError::Io(std::io::Error::new(std::io::ErrorKind::TimedOut, what.to_string()))
}

fn with_deadline(payload: Payload, limits: BodyDeadline) -> Deadline {
    let now = tokio::time::Instant::now();
    let end = now + limits.total;
    Deadline {
        inner: payload,
        idle: limits.idle,
        end,
        timer: Box::pin(tokio::time::sleep_until((now + limits.idle).min(end))),
        done: false,
    }
}

/// The request body, ending in a `TimedOut` error when it pauses longer than `idle` or runs
/// past `end`.
struct Deadline {
    inner: Payload,
    idle: Duration,
    end: tokio::time::Instant,
    timer: Pin<Box<tokio::time::Sleep>>,
    done: bool,
}

impl Stream for Deadline {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> std::task::Poll<Option<Self::Item>> {
        use std::future::Future;
        use std::task::Poll;
        let this = self.get_mut();
        if this.done {
            return Poll::Ready(None);
        }
        match Pin::new(&mut this.inner).poll_next(cx) {
            Poll::Ready(Some(item)) => {
                let next = (tokio::time::Instant::now() + this.idle).min(this.end);
                this.timer.as_mut().reset(next);
                Poll::Ready(Some(item))
            }
            Poll::Ready(None) => {
                this.done = true;
                Poll::Ready(None)
            }
            Poll::Pending => match this.timer.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    this.done = true;
                    let why = if tokio::time::Instant::now() >= this.end {
                        "the request body took too long"
                    } else {
                        "the client stopped sending the request body"
                    };
                    Poll::Ready(Some(Err(timed_out(why))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}
