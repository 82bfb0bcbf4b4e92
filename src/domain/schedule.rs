//! Working days: stages scheduled "every N working days at HH:MM", skipping weekends and the
//! board's holidays. Days are counted in the board's calendar; the wall-clock time is placed in
//! its time zone afterwards, so a release at 09:00 stays at 09:00 across daylight-saving changes.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use time::{Date, Time, Weekday};

/// The days a board does not count as working days besides weekends, sorted, each once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holidays(Vec<Date>);

const DATE: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

impl Holidays {
    pub fn new(mut days: Vec<Date>) -> Self {
        days.sort();
        days.dedup();
        Holidays(days)
    }

    /// Reads dates written one per line or separated by commas ("2026-12-25, 2026-12-28").
    pub fn parse_list(text: &str) -> Result<Self, String> {
        let mut days = Vec::new();
        for item in text.split([',', '\n', ';']).map(str::trim).filter(|s| !s.is_empty()) {
            days.push(
                Date::parse(item, DATE)
                    .map_err(|_| format!("\u{201c}{item}\u{201d} is not a date; write dates like 2026-12-25"))?,
            );
        }
        Ok(Holidays::new(days))
    }

    pub fn days(&self) -> &[Date] {
        &self.0
    }

    pub fn contains(&self, day: Date) -> bool {
        self.0.binary_search(&day).is_ok()
    }

    /// One date per line, as the settings form shows them.
    pub fn as_lines(&self) -> String {
        self.0.iter().filter_map(|d| d.format(DATE).ok()).collect::<Vec<_>>().join("\n")
    }
}

impl Serialize for Holidays {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let texts: Vec<String> = self.0.iter().filter_map(|d| d.format(DATE).ok()).collect();
        texts.serialize(s)
    }
}

impl<'de> Deserialize<'de> for Holidays {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let texts: Vec<String> = Vec::deserialize(d)?;
        Holidays::parse_list(&texts.join(",")).map_err(serde::de::Error::custom)
    }
}

pub fn is_working_day(day: Date, holidays: &Holidays) -> bool {
    !matches!(day.weekday(), Weekday::Saturday | Weekday::Sunday) && !holidays.contains(day)
}

/// `day` itself if it is a working day, otherwise the next one.
pub fn working_day_from(mut day: Date, holidays: &Holidays) -> Date {
    while !is_working_day(day, holidays) {
        match day.next_day() {
            Some(next) => day = next,
            None => break,
        }
    }
    day
}

/// The working day `n` working days after `day` (`day` itself need not be one).
pub fn add_working_days(mut day: Date, n: u32, holidays: &Holidays) -> Date {
    let mut left = n;
    while left > 0 {
        match day.next_day() {
            Some(next) => day = next,
            None => break,
        }
        if is_working_day(day, holidays) {
            left -= 1;
        }
    }
    day
}

/// Working days in `from..to` (from included, to excluded): how long a pause lasted.
pub fn working_days_between(from: Date, to: Date, holidays: &Holidays) -> u32 {
    let mut n = 0;
    let mut day = from;
    while day < to {
        n += is_working_day(day, holidays) as u32;
        match day.next_day() {
            Some(next) => day = next,
            None => break,
        }
    }
    n
}

/// "Every `every` working days at `at` from `from`; each closes after `close_after` working
/// days".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingDayPlan {
    pub from: Date,
    pub every: u32,
    pub at: Time,
    pub close_after: Option<u32>,
}

/// The local (board calendar) release and close of `count` stages under `plan`.
pub fn plan_days(plan: WorkingDayPlan, count: usize, holidays: &Holidays) -> Vec<(Date, Option<Date>)> {
    let mut out = Vec::with_capacity(count);
    let mut day = working_day_from(plan.from, holidays);
    for i in 0..count {
        if i > 0 {
            day = add_working_days(day, plan.every, holidays);
        }
        out.push((day, plan.close_after.map(|m| add_working_days(day, m, holidays))));
    }
    out
}

/// Reads "09:00" or "9:00".
pub fn parse_time_of_day(text: &str) -> Result<Time, String> {
    let t = text.trim();
    let bad = || format!("\u{201c}{t}\u{201d} is not a time of day; write it like 09:00");
    let (h, m) = t.split_once(':').ok_or_else(bad)?;
    let (h, m): (u8, u8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    Time::from_hms(h, m, 0).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, time};

    #[test]
    fn weekends_and_holidays_are_skipped() {
        let h = Holidays::parse_list("2026-12-25, 2026-12-28\n2026-12-25").unwrap();
        assert_eq!(h.days().len(), 2);
        // Thu 24 Dec 2026; Fri 25 is a holiday, Sat and Sun are weekend, Mon 28 a holiday.
        assert_eq!(add_working_days(date!(2026 - 12 - 24), 1, &h), date!(2026 - 12 - 29));
        assert_eq!(working_day_from(date!(2026 - 12 - 26), &h), date!(2026 - 12 - 29));
        assert_eq!(working_days_between(date!(2026 - 12 - 24), date!(2026 - 12 - 31), &h), 3);
        let plan = WorkingDayPlan { from: date!(2026 - 12 - 23), every: 2, at: time!(9:00), close_after: Some(3) };
        assert_eq!(
            plan_days(plan, 3, &h),
            vec![
                (date!(2026 - 12 - 23), Some(date!(2026 - 12 - 30))),
                (date!(2026 - 12 - 29), Some(date!(2027 - 01 - 01))),
                (date!(2026 - 12 - 31), Some(date!(2027 - 01 - 05))),
            ]
        );
    }

    #[test]
    fn holidays_round_trip_and_bad_input_is_named() {
        let h = Holidays::parse_list("2026-05-04").unwrap();
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(json, r#"["2026-05-04"]"#);
        assert_eq!(serde_json::from_str::<Holidays>(&json).unwrap(), h);
        assert!(Holidays::parse_list("4 May").unwrap_err().contains("4 May"));
        assert!(serde_json::from_str::<Holidays>(r#"["nope"]"#).is_err());
        assert_eq!(parse_time_of_day("9:05").unwrap(), time!(9:05));
        assert!(parse_time_of_day("25:00").is_err());
    }
}
