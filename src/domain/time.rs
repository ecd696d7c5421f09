//! The one time type. An instant is held as milliseconds since the epoch (how both store engines
//! keep it) and shown as RFC 3339 with milliseconds and `Z` (the one timestamp format of the
//! API). `Timestamp::now()` is the gateway's only clock read for wall-clock time.

use std::fmt;
use std::ops::{Add, Sub};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    pub fn now() -> Timestamp {
        Timestamp(Utc::now().timestamp_millis())
    }

    pub const fn from_millis(ms: i64) -> Timestamp {
        Timestamp(ms)
    }

    /// Milliseconds since the epoch, as stored.
    pub const fn millis(self) -> i64 {
        self.0
    }

    /// Whole seconds since the epoch (Standard Webhooks and provider signatures use these).
    pub const fn secs(self) -> i64 {
        self.0.div_euclid(1000)
    }

    /// RFC 3339 with milliseconds and `Z`.
    pub fn rfc3339(self) -> String {
        self.datetime().to_rfc3339_opts(SecondsFormat::Millis, true)
    }

    /// Reads any RFC 3339 time (any offset).
    pub fn parse_rfc3339(s: &str) -> Option<Timestamp> {
        DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| Timestamp(t.timestamp_millis()))
    }

    /// Reads an HTTP date (RFC 2822 form, as `Retry-After` carries it).
    pub fn parse_http_date(s: &str) -> Option<Timestamp> {
        DateTime::parse_from_rfc2822(s)
            .ok()
            .map(|t| Timestamp(t.timestamp_millis()))
    }

    /// How long from `self` until `later`; zero when `later` is not later.
    pub fn until(self, later: Timestamp) -> Duration {
        Duration::from_millis(later.0.saturating_sub(self.0).max(0) as u64)
    }

    fn datetime(self) -> DateTime<Utc> {
        DateTime::<Utc>::from_timestamp_millis(self.0).unwrap_or_default()
    }
}

impl Add<Duration> for Timestamp {
    type Output = Timestamp;
    fn add(self, d: Duration) -> Timestamp {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        Timestamp(self.0.saturating_add(ms))
    }
}

impl Sub<Duration> for Timestamp {
    type Output = Timestamp;
    fn sub(self, d: Duration) -> Timestamp {
        let ms = i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        Timestamp(self.0.saturating_sub(ms))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

impl fmt::Debug for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Timestamp, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse_rfc3339(&s).ok_or_else(|| serde::de::Error::custom("not an RFC 3339 time"))
    }
}

impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::DateTime,
            )))
            .into()
    }
}

impl utoipa::ToSchema for Timestamp {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_as_rfc3339_with_millis_and_read_back_from_any_offset() {
        let t = Timestamp::from_millis(1_764_645_296_789);
        assert_eq!(t.rfc3339(), "2025-12-02T03:14:56.789Z");
        assert_eq!(
            Timestamp::parse_rfc3339("2025-12-02T04:14:56.789+01:00"),
            Some(t)
        );
        assert_eq!(Timestamp::parse_rfc3339("yesterday"), None);
        assert_eq!(
            serde_json::to_value(t).ok(),
            Some("2025-12-02T03:14:56.789Z".into())
        );
    }

    #[test]
    fn arithmetic_saturates_and_waits_are_never_negative() {
        let t = Timestamp::from_millis(10_000);
        assert_eq!((t + Duration::from_secs(5)).millis(), 15_000);
        assert_eq!((t - Duration::from_secs(5)).millis(), 5_000);
        assert_eq!(
            t.until(Timestamp::from_millis(12_500)),
            Duration::from_millis(2_500)
        );
        assert_eq!(t.until(Timestamp::from_millis(1)), Duration::ZERO);
        assert_eq!(t.secs(), 10);
    }
}
