//! Times are stored in UTC and entered and shown in the board's IANA time zone. jiff carries
//! its own copy of the time zone database, so this works the same on every machine.

use jiff::tz::TimeZone;
use time::{OffsetDateTime, PrimitiveDateTime};

#[derive(Clone, Debug)]
pub struct BoardZone {
    name: String,
    tz: TimeZone,
}

impl BoardZone {
    pub fn parse(name: &str) -> Result<Self, String> {
        let name = name.trim();
        let tz = TimeZone::get(name).map_err(|_| format!("{name:?} is not a time zone name such as Europe/London"))?;
        Ok(Self { name: name.to_string(), tz })
    }

    /// The zones a board can be in, by IANA name (Area/City, and UTC), sorted: what the
    /// settings form offers to pick from.
    pub fn names() -> &'static [String] {
        static NAMES: std::sync::LazyLock<Vec<String>> = std::sync::LazyLock::new(|| {
            let mut names: Vec<String> = jiff::tz::db()
                .available()
                .map(|n| n.as_str().to_string())
                .filter(|n| {
                    n == "UTC"
                        || (n.contains('/')
                            && !["Etc/", "SystemV/", "US/", "posix/", "right/"].iter().any(|p| n.starts_with(p)))
                })
                .collect();
            names.sort();
            names.dedup();
            names
        });
        &NAMES
    }

    /// For a stored name that was checked on the way in; falls back to UTC if the database
    /// somehow holds an unknown name.
    pub fn of(name: &str) -> Self {
        Self::parse(name).unwrap_or_else(|_| Self { name: "UTC".into(), tz: TimeZone::UTC })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    fn zoned(&self, utc: PrimitiveDateTime) -> jiff::Zoned {
        let secs = utc.assume_utc().unix_timestamp();
        jiff::Timestamp::from_second(secs).unwrap_or(jiff::Timestamp::UNIX_EPOCH).to_zoned(self.tz.clone())
    }

    /// "Fri 26 Mar 2021, 09:00 GMT": how times appear in pages and emails.
    pub fn display(&self, utc: PrimitiveDateTime) -> String {
        self.zoned(utc).strftime("%a %-d %b %Y, %H:%M %Z").to_string()
    }

    /// The wall-clock time in this zone at `utc`, to the second.
    pub fn local(&self, utc: PrimitiveDateTime) -> PrimitiveDateTime {
        let offset = self.zoned(utc).offset().seconds();
        let local = utc + time::Duration::seconds(i64::from(offset));
        local.replace_nanosecond(0).unwrap_or(local)
    }

    /// The day it is at `utc` in this zone.
    pub fn local_date(&self, utc: PrimitiveDateTime) -> time::Date {
        let d = self.zoned(utc).date();
        time::Month::try_from(d.month() as u8)
            .ok()
            .and_then(|m| time::Date::from_calendar_date(d.year().into(), m, d.day() as u8).ok())
            .unwrap_or(utc.date())
    }

    /// "2021-03-26T09:00": the value of an `<input type="datetime-local">`.
    pub fn to_input(&self, utc: PrimitiveDateTime) -> String {
        self.zoned(utc).strftime("%Y-%m-%dT%H:%M").to_string()
    }

    /// RFC 3339 with the board's offset, for the API.
    pub fn to_rfc3339(&self, utc: PrimitiveDateTime) -> String {
        self.zoned(utc).timestamp().display_with_offset(self.zoned(utc).offset()).to_string()
    }

    /// The instant it is `at` on `day` in this zone: a time skipped by a daylight-saving change
    /// moves forward, and a time that happens twice is its first.
    pub fn at_local(&self, day: time::Date, at: time::Time) -> Result<PrimitiveDateTime, String> {
        let civil = jiff::civil::date(day.year() as i16, u8::from(day.month()) as i8, day.day() as i8).at(
            at.hour() as i8,
            at.minute() as i8,
            0,
            0,
        );
        let zoned = civil.to_zoned(self.tz.clone()).map_err(|e| e.to_string())?;
        let utc = OffsetDateTime::from_unix_timestamp(zoned.timestamp().as_second()).map_err(|e| e.to_string())?;
        Ok(PrimitiveDateTime::new(utc.date(), utc.time()))
    }

    /// Reads a local wall-clock time ("2021-03-26T09:00" or "2021-03-26 09:00") in this zone.
    /// A time skipped by a daylight-saving change moves forward, as clocks do.
    pub fn parse_local(&self, input: &str) -> Result<PrimitiveDateTime, String> {
        let typed = input.trim();
        // The message quotes what was typed, not the form it was read in.
        let civil: jiff::civil::DateTime = typed.replacen(' ', "T", 1).parse().map_err(|_| {
            format!(
                "\u{201c}{typed}\u{201d} is not a date and time; write it like 2021-03-26 09:00 ({} time)",
                self.name
            )
        })?;
        let zoned = civil
            .to_zoned(self.tz.clone())
            .map_err(|e| format!("\u{201c}{typed}\u{201d} cannot be placed in {} time: {e}", self.name))?;
        let utc = OffsetDateTime::from_unix_timestamp(zoned.timestamp().as_second()).map_err(|e| e.to_string())?;
        Ok(PrimitiveDateTime::new(utc.date(), utc.time()))
    }
}

/// Reads an API time: RFC 3339 with an offset ("2021-03-26T09:00:00Z"), or a local time in the
/// board's zone when no offset is given.
pub fn parse_api_time(zone: &BoardZone, input: &str) -> Result<PrimitiveDateTime, String> {
    if let Ok(t) = OffsetDateTime::parse(input, &time::format_description::well_known::Rfc3339) {
        let t = t.to_offset(time::UtcOffset::UTC);
        return Ok(PrimitiveDateTime::new(t.date(), t.time()));
    }
    zone.parse_local(input)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn london_summer_and_winter() {
        let z = BoardZone::parse("Europe/London").unwrap();
        assert_eq!(z.parse_local("2021-03-26T09:00").unwrap(), datetime!(2021-03-26 09:00));
        // British Summer Time began on 28 March 2021.
        assert_eq!(z.parse_local("2021-03-29T09:00").unwrap(), datetime!(2021-03-29 08:00));
        assert_eq!(z.display(datetime!(2021-03-29 08:00)), "Mon 29 Mar 2021, 09:00 BST");
        assert_eq!(z.to_input(datetime!(2021-03-29 08:00)), "2021-03-29T09:00");
    }

    #[test]
    fn the_zones_offered_are_the_usable_ones() {
        let names = BoardZone::names();
        for n in ["Europe/London", "America/New_York", "Australia/Sydney", "UTC"] {
            assert!(names.iter().any(|x| x == n), "{n}");
        }
        assert!(!names.iter().any(|n| n.starts_with("Etc/") || n.starts_with("posix/")));
        assert!(names.windows(2).all(|w| w[0] < w[1]), "sorted");
        assert!(names.iter().all(|n| BoardZone::parse(n).is_ok()));
    }

    #[test]
    fn refuses_unknown_zones_and_bad_times() {
        assert!(BoardZone::parse("Mars/Olympus").is_err());
        let z = BoardZone::parse("UTC").unwrap();
        let e = z.parse_local("next monday 9am").unwrap_err();
        assert!(e.contains("\u{201c}next monday 9am\u{201d}"), "{e}");
    }

    #[test]
    fn api_times_with_and_without_offset() {
        let z = BoardZone::parse("Europe/Berlin").unwrap();
        assert_eq!(parse_api_time(&z, "2021-03-26T09:00:00Z").unwrap(), datetime!(2021-03-26 09:00));
        assert_eq!(parse_api_time(&z, "2021-03-26T10:00").unwrap(), datetime!(2021-03-26 09:00));
    }
}
