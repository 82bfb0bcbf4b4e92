//! Mail that arrives: what a message is (a reply, an auto-reply, a bounce), who sent it, which
//! reply keys it was sent to, and the new text of a reply without the quoted original, the
//! signature and the mail program's boilerplate. MIME is read by `mail-parser`; only the
//! trimming of a reply's text is this module's own, as rules over lines.

use mail_parser::{MessageParser, MimeHeaders, PartType};

/// What kind of message arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailKind {
    /// Written by a person: a candidate answer.
    Reply,
    /// An out-of-office or other automatic answer: never posted, never answered.
    AutoReply,
    /// A delivery status notification: marks the failed addresses, never answered.
    Bounce,
}

/// An image attached to a reply, to go through the same checks as an upload.
#[derive(Debug, Clone)]
pub struct MailImage {
    pub name: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
pub struct IncomingMail {
    /// The Message-ID, or the SHA-256 of the bytes when there is none: each message is handled
    /// once, whichever instance reads it.
    pub dedup_key: String,
    pub kind: MailKind,
    /// The From address, lower-cased; none if it has none that can be read.
    pub sender: Option<String>,
    /// Every address it was sent to (To, Cc, Delivered-To, X-Original-To), lower-cased.
    pub recipients: Vec<String>,
    pub subject: String,
    /// The reply's new text, trimmed.
    pub text: String,
    pub images: Vec<MailImage>,
    /// Names of attachments that are not images: dropped, and the sender told.
    pub dropped: Vec<String>,
    /// For a bounce: the addresses that failed.
    pub failed_recipients: Vec<String>,
    /// The receiving server found the sender's address forged: its own (topmost)
    /// `Authentication-Results` header says `dmarc=fail`.
    pub forged: bool,
    /// Larger than a reply can be: only its header was read (its size in bytes).
    pub too_large: Option<u64>,
}

/// The most a message read from the mailbox may weigh: a few phone photos in base64.
pub const MAX_MESSAGE_BYTES: u64 = 40 * 1024 * 1024;

/// Reads the header of a message too large to read whole.
pub fn parse_too_large(header: &[u8], size: u64) -> Option<IncomingMail> {
    let mut mail = parse(header)?;
    mail.text = String::new();
    mail.images.clear();
    mail.dropped.clear();
    mail.too_large = Some(size);
    Some(mail)
}

/// Reads one message. `None` when the bytes are not a message at all.
pub fn parse(raw: &[u8]) -> Option<IncomingMail> {
    let message = MessageParser::default().parse(raw)?;
    let lower = |s: &str| s.trim().to_ascii_lowercase();
    let sender = message.from().and_then(|a| a.first()).and_then(|a| a.address()).map(lower);
    let mut recipients: Vec<String> = Vec::new();
    for list in [message.to(), message.cc()].into_iter().flatten() {
        recipients.extend(list.iter().filter_map(|a| a.address()).map(lower));
    }
    for (name, value) in message.headers_raw() {
        if ["delivered-to", "x-original-to", "envelope-to"].contains(&name.to_ascii_lowercase().as_str()) {
            recipients.extend(
                value.split(',').map(|v| lower(v.trim_matches(|c: char| c == '<' || c == '>' || c.is_whitespace()))),
            );
        }
    }
    recipients.retain(|r| !r.is_empty());
    // Only the first Authentication-Results is the receiving server's own; any below it came
    // with the message and proves nothing.
    let forged = message
        .headers_raw()
        .find(|(name, _)| name.eq_ignore_ascii_case("authentication-results"))
        .is_some_and(|(_, v)| v.to_ascii_lowercase().contains("dmarc=fail"));
    recipients.dedup();
    let header = |name: &str| message.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    let subject = message.subject().unwrap_or_default().trim().to_string();
    let dedup_key = match message.message_id() {
        Some(id) if !id.trim().is_empty() => format!("mid:{}", id.trim()),
        _ => {
            use sha2::Digest;
            format!("sha256:{}", hex::encode(sha2::Sha256::digest(raw)))
        }
    };
    let content_type = header("content-type").unwrap_or_default();
    let from_daemon = sender.as_deref().is_some_and(|s| {
        let local = s.split('@').next().unwrap_or_default();
        local == "mailer-daemon" || local == "postmaster"
    });
    let text_of_raw = String::from_utf8_lossy(raw);
    let failed_recipients = failed_recipients(&text_of_raw, header("x-failed-recipients").as_deref());
    let is_report = content_type.starts_with("multipart/report") && content_type.contains("delivery-status");
    let kind = if is_report || (from_daemon && !failed_recipients.is_empty()) {
        MailKind::Bounce
    } else if is_automatic(header("auto-submitted"), header("precedence"), &message, &subject) {
        MailKind::AutoReply
    } else {
        MailKind::Reply
    };
    let text = match message.text_part(0).map(|p| &p.body) {
        // HTML only: the quoted original is cut where mail programs mark it, then the rest
        // becomes text.
        Some(PartType::Html(html)) => mail_parser::decoders::html::html_to_text(&strip_html_quotes(html)),
        Some(PartType::Text(text)) => text.to_string(),
        _ => String::new(),
    };
    let mut images = Vec::new();
    let mut dropped = Vec::new();
    for part in message.attachments() {
        let name = part.attachment_name().unwrap_or("attachment").to_string();
        let is_image = part.content_type().is_some_and(|ct| ct.ctype().eq_ignore_ascii_case("image"));
        match &part.body {
            // A forwarded or returned message is not the reply's own content.
            PartType::Message(_) => {}
            _ if is_image => images.push(MailImage { name, bytes: part.contents().to_vec() }),
            _ => dropped.push(name),
        }
    }
    Some(IncomingMail {
        dedup_key,
        kind,
        sender,
        recipients,
        subject,
        text: trim_reply(&text),
        images,
        dropped,
        failed_recipients,
        forged,
        too_large: None,
    })
}

/// Headers and subjects that mark a message written by a program (RFC 3834 and what the big
/// mail services send in practice).
fn is_automatic(
    auto_submitted: Option<String>,
    precedence: Option<String>,
    message: &mail_parser::Message,
    subject: &str,
) -> bool {
    if auto_submitted.is_some_and(|v| v != "no") {
        return true;
    }
    if precedence.is_some_and(|v| ["bulk", "junk", "auto_reply", "list"].contains(&v.as_str())) {
        return true;
    }
    if message.header_raw("X-Autoreply").is_some() || message.header_raw("X-Autorespond").is_some() {
        return true;
    }
    let s = subject.to_ascii_lowercase();
    ["out of office", "automatic reply", "auto:", "autoreply", "auto-reply", "away from my mail"]
        .iter()
        .any(|p| s.starts_with(p))
}

/// The addresses a delivery status notification says failed: its `Final-Recipient` fields
/// (RFC 3464) and the `X-Failed-Recipients` header some servers use instead.
fn failed_recipients(raw: &str, header: Option<&str>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in raw.lines() {
        let l = line.trim();
        let Some(rest) = l.strip_prefix("Final-Recipient:").or_else(|| l.strip_prefix("final-recipient:")) else {
            continue;
        };
        let address = rest.split(';').next_back().unwrap_or_default().trim().to_ascii_lowercase();
        if address.contains('@') {
            out.push(address);
        }
    }
    out.extend(header.into_iter().flat_map(|h| h.split(',')).map(|a| a.trim().to_string()).filter(|a| a.contains('@')));
    out.sort();
    out.dedup();
    out
}

/// Removes from an HTML reply the elements in which mail programs put the quoted original:
/// Gmail's `gmail_quote`, Outlook's reply header and everything after it, Apple Mail's and
/// Thunderbird's `blockquote`.
fn strip_html_quotes(html: &str) -> String {
    use lol_html::{element, rewrite_str, RewriteStrSettings};
    let cut = std::rc::Rc::new(std::cell::Cell::new(false));
    let (c1, c2) = (cut.clone(), cut.clone());
    let result = rewrite_str(
        html,
        RewriteStrSettings::new()
            .append_element_content_handler(element!(
                "div.gmail_quote, blockquote, div.moz-cite-prefix, div#appendonsend",
                |el| {
                    el.remove();
                    Ok(())
                }
            ))
            // Outlook puts its "From: … Sent: …" block in this div; all that follows it is the
            // original.
            .append_element_content_handler(element!(
                "div#divRplyFwdMsg, div#mail-editor-reference-message-container",
                move |el| {
                    c1.set(true);
                    el.remove();
                    Ok(())
                }
            ))
            .append_element_content_handler(element!("*", move |el| {
                if c2.get() {
                    el.remove();
                }
                Ok(())
            })),
    );
    result.unwrap_or_else(|_| html.to_string())
}

/// The new text of a reply: everything before the first line that starts the quoted original
/// ("On … wrote:", an Outlook header block, "-----Original Message-----"), without `>` lines,
/// the signature (after "-- ") and "Sent from my …" lines.
pub fn trim_reply(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = text.lines().collect();
    let mut kept: Vec<&str> = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        if starts_original(&lines, i) || line.trim_end() == "--" {
            break;
        }
        if is_boilerplate(t) {
            break;
        }
        if t.starts_with('>') {
            continue;
        }
        kept.push(line.trim_end());
    }
    // Blank lines at either end, and runs of them inside, are not the reply's.
    let mut out: Vec<&str> = Vec::new();
    for line in kept {
        if line.is_empty() && out.last().is_none_or(|l: &&str| l.is_empty()) {
            continue;
        }
        out.push(line);
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out.join("\n")
}

/// Whether line `i` opens the quoted original.
fn starts_original(lines: &[&str], i: usize) -> bool {
    let t = lines[i].trim().trim_start_matches('*').trim();
    let lower = t.to_ascii_lowercase();
    if lower.starts_with("-----original message-----")
        || lower.starts_with("----- original message -----")
        || lower.starts_with("begin forwarded message")
        || (t.len() >= 10 && t.chars().all(|c| c == '_'))
    {
        return true;
    }
    // "On Mon, 7 Dec 2026 at 10:00, Board <x@y> wrote:", which Gmail wraps over two or three
    // lines; and the same in the languages the big mail programs write most.
    let opens = ["on ", "le ", "am ", "el ", "op ", "il "];
    let closes = ["wrote:", "a écrit :", "a écrit:", "schrieb:", "escribió:", "schreef:", "ha scritto:"];
    if opens.iter().any(|o| lower.starts_with(o)) {
        let joined: String = lines[i..lines.len().min(i + 3)].join(" ").to_lowercase();
        if let Some(end) = closes.iter().filter_map(|c| joined.find(c)).min() {
            // The "wrote:" must close the lines that the opening starts, not a later line.
            let first_lines: usize = lines[i..lines.len().min(i + 3)].iter().map(|l| l.len() + 1).sum();
            return end < first_lines;
        }
    }
    // Outlook: "From: …" followed within a few lines by "Sent: …" or "Date: …".
    if lower.starts_with("from:") {
        return lines[i + 1..lines.len().min(i + 5)].iter().any(|l| {
            let l = l.trim().trim_start_matches('*').trim().to_ascii_lowercase();
            l.starts_with("sent:") || l.starts_with("date:") || l.starts_with("to:")
        });
    }
    false
}

/// Lines mail programs add below what the person wrote.
fn is_boilerplate(t: &str) -> bool {
    let lower = t.to_ascii_lowercase();
    lower.starts_with("sent from my ")
        || lower.starts_with("sent from outlook")
        || lower.starts_with("get outlook for ")
        || lower.starts_with("sent from mail for windows")
        || lower.starts_with("sent from yahoo mail")
        || lower.starts_with("envoyé de mon ")
        || lower.starts_with("von meinem ")
}

/// The reply key in `recipients` addressed to `local+KEY@domain`, where `reply_address` is
/// `local@domain`.
pub fn reply_key(recipients: &[String], reply_address: &str) -> Option<String> {
    let (local, domain) =
        reply_address.to_ascii_lowercase().rsplit_once('@').map(|(l, d)| (l.to_string(), d.to_string()))?;
    recipients.iter().find_map(|r| {
        let (l, d) = r.rsplit_once('@')?;
        let key = l.strip_prefix(&local)?.strip_prefix('+')?;
        (d == domain && !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric())).then(|| key.to_string())
    })
}

/// The Reply-To address that carries `key`.
pub fn reply_address_with(reply_address: &str, key: &str) -> Option<String> {
    let (local, domain) = reply_address.rsplit_once('@')?;
    Some(format!("{local}+{key}@{domain}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gmail_plain_reply_keeps_only_the_new_text() {
        let text = "I liked the second one best.\n\nIt felt calmer.\n\nOn Mon, 7 Dec 2026 at 10:00, Greenway Study <\nboard+abc@example.org> wrote:\n\n> Stage 1 is open\n> What did you hope for?\n";
        assert_eq!(trim_reply(text), "I liked the second one best.\n\nIt felt calmer.");
    }

    #[test]
    fn outlook_header_block_and_signature_are_cut() {
        let text = "Fine by me.\r\n\r\nGet Outlook for iOS\r\n________________________________\r\nFrom: Greenway Study <board@example.org>\r\nSent: Monday, December 7, 2026 10:00\r\nTo: Ann\r\nSubject: Stage 1\r\n\r\nOld text\r\n";
        assert_eq!(trim_reply(text), "Fine by me.");
        let text = "Yes.\n\n-- \nAnn Smith\nAcme Ltd\n";
        assert_eq!(trim_reply(text), "Yes.");
        let text = "Yes.\nFrom: the heart.\nReally.";
        assert_eq!(trim_reply(text), "Yes.\nFrom: the heart.\nReally.", "a line that only begins with From: stays");
    }

    #[test]
    fn apple_mail_and_inline_quotes() {
        let text = "Agreed.\n\nSent from my iPhone\n\n> On 7 Dec 2026, at 10:00, Greenway Study <board@example.org> wrote:\n> \n> Hi";
        assert_eq!(trim_reply(text), "Agreed.");
        let text = "> What did you hope for?\nA park.\n> And why?\nShade.";
        assert_eq!(trim_reply(text), "A park.\nShade.");
        let text = "Only words.\nOn balance I wrote: nothing.";
        assert_eq!(trim_reply(text), "Only words.", "an 'On … wrote:' line is the start of the original");
    }

    #[test]
    fn html_quotes_are_removed_before_text() {
        let html = r#"<div dir="ltr">New <b>words</b></div><br><div class="gmail_quote"><div>On Mon wrote:</div><blockquote>old</blockquote></div>"#;
        let text = mail_parser::decoders::html::html_to_text(&strip_html_quotes(html));
        assert_eq!(trim_reply(&text), "New words");
        let html = r#"<p>Mine</p><div id="divRplyFwdMsg"><b>From:</b> x</div><div>old body</div>"#;
        let text = mail_parser::decoders::html::html_to_text(&strip_html_quotes(html));
        assert_eq!(trim_reply(&text), "Mine");
    }

    #[test]
    fn reply_keys_are_found_only_on_the_reply_address() {
        let r = vec!["someone@example.org".to_string(), "board+ab12cd@example.org".to_string()];
        assert_eq!(reply_key(&r, "Board@Example.org").as_deref(), Some("ab12cd"));
        assert_eq!(reply_key(&r, "board@other.org"), None);
        assert_eq!(reply_key(&["board@example.org".into()], "board@example.org"), None);
        assert_eq!(reply_key(&["boardx+ab@example.org".into()], "board@example.org"), None);
        assert_eq!(reply_address_with("board@example.org", "k1").as_deref(), Some("board+k1@example.org"));
        // An address that already has a "+" keeps it; the key comes after another.
        let tagged = reply_address_with("team+study@example.org", "ab12").unwrap();
        assert_eq!(reply_key(&[tagged], "team+study@example.org").as_deref(), Some("ab12"));
    }

    #[test]
    fn kinds_of_mail() {
        let reply = b"From: Ann <Ann@Example.org>\r\nTo: board+k@example.org\r\nSubject: Re: x\r\nMessage-ID: <1@x>\r\n\r\nHello\r\n";
        let m = parse(reply).unwrap();
        assert_eq!((m.kind, m.sender.as_deref(), m.text.as_str()), (MailKind::Reply, Some("ann@example.org"), "Hello"));
        assert_eq!(m.dedup_key, "mid:1@x");
        let ooo = b"From: ann@example.org\r\nTo: board+k@example.org\r\nAuto-Submitted: auto-replied\r\nSubject: Out of office\r\n\r\nAway\r\n";
        assert_eq!(parse(ooo).unwrap().kind, MailKind::AutoReply);
        let bounce = b"From: MAILER-DAEMON@example.org\r\nTo: board@example.org\r\nSubject: Undelivered\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; Gone@Example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n--b--\r\n";
        let b = parse(bounce).unwrap();
        assert_eq!(b.kind, MailKind::Bounce);
        assert_eq!(b.failed_recipients, vec!["gone@example.org".to_string()]);
        let spoofed = b"Authentication-Results: mx.example.org; spf=softfail; dmarc=fail (p=none) header.from=example.org\r\nAuthentication-Results: fake; dmarc=pass\r\nFrom: ann@example.org\r\nTo: board+k@example.org\r\n\r\nHi\r\n";
        assert!(parse(spoofed).unwrap().forged);
        let relayed = b"Authentication-Results: mx.example.org; dmarc=pass\r\nAuthentication-Results: old; dmarc=fail\r\nFrom: ann@example.org\r\n\r\nHi\r\n";
        assert!(!parse(relayed).unwrap().forged, "only the topmost result counts");
    }
}
