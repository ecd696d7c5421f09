//! Working hours: weekly blocks of local time in an IANA time zone. Pure: whether an instant is
//! inside them is a function of the hours and the instant, so it is tested with fixed clocks.
//! A block never crosses midnight (`"to": "24:00"` ends at midnight); a shift from 22:00 to
//! 06:00 is two blocks.

use std::str::FromStr;

use chrono::{Datelike, TimeZone, Timelike, Weekday};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::time::Timestamp;

/// At most this many blocks per agent.
pub const MAX_BLOCKS: usize = 50;

/// When an agent works, in their own time zone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"time_zone": "Asia/Seoul", "blocks": [
    {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "09:00", "to": "18:00"}]}))]
pub struct WorkingHours {
    /// An IANA time zone name, e.g. `Asia/Seoul`, `Europe/Berlin`, `UTC`.
    pub time_zone: String,
    /// 1 to 50 blocks; the agent works inside any of them.
    pub blocks: Vec<Block>,
}

/// Some days of the week, from one local time to a later one the same day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Block {
    /// `mon` to `sun`, at least one.
    pub days: Vec<String>,
    /// `HH:MM`, 24-hour clock.
    #[schema(example = "09:00")]
    pub from: String,
    /// `HH:MM`, later than `from`; `24:00` is midnight at the end of the day.
    #[schema(example = "18:00")]
    pub to: String,
}

/// Why working hours were refused: a readable message and the JSON pointer of the bad part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoursError {
    pub pointer: String,
    pub detail: String,
}

fn refuse(pointer: impl Into<String>, detail: impl Into<String>) -> HoursError {
    HoursError {
        pointer: pointer.into(),
        detail: detail.into(),
    }
}

const DAYS: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

fn weekday(name: &str) -> Option<Weekday> {
    DAYS.iter().find(|(n, _)| *n == name).map(|(_, d)| *d)
}

/// Minutes since local midnight of `HH:MM` (`24:00` allowed only where `end`).
fn minutes(s: &str, end: bool) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
    match (h, m) {
        (24, 0) if end => Some(24 * 60),
        (0..=23, 0..=59) => Some(h * 60 + m),
        _ => None,
    }
}

impl WorkingHours {
    /// Checks every part; the hours are usable only when this passes.
    pub fn validate(&self) -> Result<(), HoursError> {
        Tz::from_str(&self.time_zone).map_err(|_| {
            refuse(
                "/time_zone",
                format!(
                    "{:?} is not an IANA time zone name (e.g. Asia/Seoul, UTC)",
                    self.time_zone
                ),
            )
        })?;
        if self.blocks.is_empty() || self.blocks.len() > MAX_BLOCKS {
            return Err(refuse(
                "/blocks",
                format!("blocks needs 1 to {MAX_BLOCKS} entries"),
            ));
        }
        for (i, b) in self.blocks.iter().enumerate() {
            if b.days.is_empty() {
                return Err(refuse(format!("/blocks/{i}/days"), "days needs a day"));
            }
            for (j, d) in b.days.iter().enumerate() {
                if weekday(d).is_none() {
                    return Err(refuse(
                        format!("/blocks/{i}/days/{j}"),
                        format!("{d:?} is not one of mon, tue, wed, thu, fri, sat, sun"),
                    ));
                }
            }
            let from = minutes(&b.from, false).ok_or_else(|| {
                refuse(
                    format!("/blocks/{i}/from"),
                    "from must be HH:MM, 00:00 to 23:59",
                )
            })?;
            let to = minutes(&b.to, true).ok_or_else(|| {
                refuse(
                    format!("/blocks/{i}/to"),
                    "to must be HH:MM, 00:01 to 24:00",
                )
            })?;
            if to <= from {
                return Err(refuse(
                    format!("/blocks/{i}/to"),
                    "to must be later than from (split a block that crosses midnight in two)",
                ));
            }
        }
        Ok(())
    }

    /// Whether `at` falls inside a block, in the hours' time zone. Hours that do not validate
    /// contain no instant.
    pub fn contains(&self, at: Timestamp) -> bool {
        let Ok(tz) = Tz::from_str(&self.time_zone) else {
            return false;
        };
        let Some(local) = tz.timestamp_millis_opt(at.millis()).single() else {
            return false;
        };
        let now = local.hour() * 60 + local.minute();
        let day = local.weekday();
        self.blocks.iter().any(|b| {
            let (Some(from), Some(to)) = (minutes(&b.from, false), minutes(&b.to, true)) else {
                return false;
            };
            b.days.iter().any(|d| weekday(d) == Some(day)) && from <= now && now < to
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hours(tz: &str, blocks: &[(&[&str], &str, &str)]) -> WorkingHours {
        WorkingHours {
            time_zone: tz.into(),
            blocks: blocks
                .iter()
                .map(|(days, from, to)| Block {
                    days: days.iter().map(|d| d.to_string()).collect(),
                    from: from.to_string(),
                    to: to.to_string(),
                })
                .collect(),
        }
    }

    fn at(rfc3339: &str) -> Timestamp {
        Timestamp::parse_rfc3339(rfc3339).expect("a time")
    }

    #[test]
    fn an_instant_is_inside_in_the_agents_own_time_zone() {
        let seoul = hours(
            "Asia/Seoul",
            &[(&["mon", "tue", "wed", "thu", "fri"], "09:00", "18:00")],
        );
        assert_eq!(seoul.validate(), Ok(()));
        // Monday 2026-11-23 09:00 in Seoul is 00:00 UTC.
        assert!(seoul.contains(at("2026-11-23T00:00:00Z")));
        assert!(
            !seoul.contains(at("2026-11-22T23:59:59.999Z")),
            "08:59:59 local"
        );
        assert!(seoul.contains(at("2026-11-23T08:59:59Z")), "17:59:59 local");
        assert!(
            !seoul.contains(at("2026-11-23T09:00:00Z")),
            "18:00 local: the end is out"
        );
        // Saturday 10:00 local.
        assert!(!seoul.contains(at("2026-11-28T01:00:00Z")));
    }

    #[test]
    fn summer_time_moves_the_block_in_utc() {
        let berlin = hours("Europe/Berlin", &[(&["mon"], "09:00", "10:00")]);
        // Winter (UTC+1) and summer (UTC+2): the same local hour, a different UTC hour.
        assert!(berlin.contains(at("2026-01-05T08:30:00Z")));
        assert!(!berlin.contains(at("2026-01-05T07:30:00Z")));
        assert!(berlin.contains(at("2026-07-06T07:30:00Z")));
        assert!(!berlin.contains(at("2026-07-06T08:30:00Z")));
    }

    #[test]
    fn a_night_shift_is_two_blocks_and_24_00_ends_the_day() {
        let night = hours(
            "UTC",
            &[(&["fri"], "22:00", "24:00"), (&["sat"], "00:00", "06:00")],
        );
        assert_eq!(night.validate(), Ok(()));
        assert!(night.contains(at("2026-11-27T23:59:00Z")));
        assert!(night.contains(at("2026-11-28T00:00:00Z")));
        assert!(night.contains(at("2026-11-28T05:59:00Z")));
        assert!(!night.contains(at("2026-11-28T06:00:00Z")));
        assert!(!night.contains(at("2026-11-27T21:59:00Z")));
    }

    #[test]
    fn bad_hours_are_refused_with_a_pointer_to_the_bad_part() {
        let cases: &[(WorkingHours, &str)] = &[
            (
                hours("Mars/Olympus", &[(&["mon"], "09:00", "10:00")]),
                "/time_zone",
            ),
            (hours("UTC", &[]), "/blocks"),
            (hours("UTC", &[(&[], "09:00", "10:00")]), "/blocks/0/days"),
            (
                hours("UTC", &[(&["mon", "funday"], "09:00", "10:00")]),
                "/blocks/0/days/1",
            ),
            (
                hours("UTC", &[(&["mon"], "9:00", "10:00")]),
                "/blocks/0/from",
            ),
            (
                hours("UTC", &[(&["mon"], "24:00", "24:00")]),
                "/blocks/0/from",
            ),
            (
                hours("UTC", &[(&["mon"], "09:00", "24:01")]),
                "/blocks/0/to",
            ),
            (
                hours("UTC", &[(&["mon"], "09:60", "10:00")]),
                "/blocks/0/from",
            ),
            (
                hours(
                    "UTC",
                    &[(&["mon"], "09:00", "10:00"), (&["tue"], "18:00", "09:00")],
                ),
                "/blocks/1/to",
            ),
            (
                hours("UTC", &[(&["mon"], "10:00", "10:00")]),
                "/blocks/0/to",
            ),
        ];
        for (h, pointer) in cases {
            let e = h.validate().expect_err(pointer);
            assert_eq!(&e.pointer, pointer, "{h:?}: {}", e.detail);
        }
        let too_many = WorkingHours {
            time_zone: "UTC".into(),
            blocks: vec![
                hours("UTC", &[(&["mon"], "09:00", "10:00")]).blocks[0].clone();
                MAX_BLOCKS + 1
            ],
        };
        assert_eq!(too_many.validate().expect_err("51").pointer, "/blocks");
    }
}
