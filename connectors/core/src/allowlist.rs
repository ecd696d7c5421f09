//! The optional per-channel source-address allow list (`settings.allowed_source_ips`), for
//! providers that sign nothing and publish the ranges they call from.

use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::{Map, Value};

use crate::connector::{ConfigError, VerifyError};

/// The settings key holding the allow list: an array of CIDR ranges or single addresses.
pub const SETTING: &str = "allowed_source_ips";

fn parse_entry(entry: &str) -> Option<IpNet> {
    entry
        .parse::<IpNet>()
        .ok()
        .or_else(|| entry.parse::<IpAddr>().ok().map(IpNet::from))
}

/// A named list of ranges a connector offers, e.g. the ranges a provider publishes.
pub type Preset<'a> = (&'a str, &'a [&'a str]);

/// Checks that the setting, when present, is an array of CIDR ranges or addresses.
pub fn validate(settings: &Map<String, Value>) -> Result<(), ConfigError> {
    validate_with(settings, &[])
}

/// Like [`validate`], also accepting the names of `presets` as entries.
pub fn validate_with(
    settings: &Map<String, Value>,
    presets: &[Preset<'_>],
) -> Result<(), ConfigError> {
    let Some(value) = settings.get(SETTING) else {
        return Ok(());
    };
    let Value::Array(items) = value else {
        return Err(ConfigError::new(SETTING, "must be an array of CIDR ranges"));
    };
    // An empty list would refuse every source, and a provider that never retries would lose
    // every webhook without anyone noticing: leaving the setting out is how the check is off.
    if items.is_empty() {
        return Err(ConfigError::new(
            SETTING,
            "must list at least one range; leave it out to accept every source",
        ));
    }
    for (i, item) in items.iter().enumerate() {
        let entry = item.as_str().unwrap_or_default();
        let ok = parse_entry(entry).is_some() || presets.iter().any(|(name, _)| *name == entry);
        if !ok {
            let names: Vec<&str> = presets.iter().map(|(n, _)| *n).collect();
            let hint = if names.is_empty() {
                String::new()
            } else {
                format!(", or one of the presets {}", names.join(", "))
            };
            return Err(ConfigError::new(
                format!("{SETTING}[{i}]"),
                format!("must be a CIDR range such as 211.249.40.0/27 or a single address{hint}"),
            ));
        }
    }
    Ok(())
}

/// Allows the request when no list is set; otherwise the source address must be in it.
/// An unknown source address with a list set is refused.
pub fn check(settings: &Map<String, Value>, source: Option<IpAddr>) -> Result<(), VerifyError> {
    check_with(settings, source, &[])
}

/// Like [`check`], expanding preset names to their ranges.
pub fn check_with(
    settings: &Map<String, Value>,
    source: Option<IpAddr>,
    presets: &[Preset<'_>],
) -> Result<(), VerifyError> {
    let Some(Value::Array(items)) = settings.get(SETTING) else {
        return Ok(());
    };
    let Some(ip) = source else {
        return Err(VerifyError::SourceNotAllowed("unknown".into()));
    };
    // An IPv4 client seen through an IPv6 socket arrives as ::ffff:a.b.c.d.
    let ip = match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    };
    let allowed = items
        .iter()
        .filter_map(Value::as_str)
        .flat_map(
            |entry| match presets.iter().find(|(name, _)| *name == entry) {
                Some((_, ranges)) => ranges.to_vec(),
                None => vec![entry],
            },
        )
        .filter_map(parse_entry)
        .any(|net| net.contains(&ip));
    if allowed {
        Ok(())
    } else {
        Err(VerifyError::SourceNotAllowed(ip.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn settings(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn no_list_allows_any_source() {
        assert_eq!(check(&Map::new(), None), Ok(()));
    }

    #[test]
    fn a_listed_range_admits_its_addresses_and_refuses_others() {
        let s = settings(json!({"allowed_source_ips": ["211.249.40.0/27", "10.1.2.3"]}));
        assert_eq!(check(&s, Some("211.249.40.30".parse().unwrap())), Ok(()));
        assert_eq!(check(&s, Some("10.1.2.3".parse().unwrap())), Ok(()));
        assert_eq!(
            check(&s, Some("::ffff:211.249.40.1".parse().unwrap())),
            Ok(())
        );
        assert!(check(&s, Some("211.249.40.33".parse().unwrap())).is_err());
        assert!(check(&s, None).is_err());
    }

    #[test]
    fn presets_expand_to_their_ranges() {
        let presets: &[Preset<'_>] = &[("vendor", &["211.249.40.0/27"])];
        let s = settings(json!({"allowed_source_ips": ["vendor"]}));
        assert!(validate_with(&s, presets).is_ok());
        assert!(
            validate(&s).is_err(),
            "not a preset without the connector's list"
        );
        assert_eq!(
            check_with(&s, Some("211.249.40.7".parse().unwrap()), presets),
            Ok(())
        );
        assert!(check_with(&s, Some("10.0.0.1".parse().unwrap()), presets).is_err());
    }

    #[test]
    fn malformed_entries_are_refused_with_their_position() {
        let s = settings(json!({"allowed_source_ips": ["211.249.40.0/27", "nope"]}));
        let err = validate(&s).unwrap_err();
        assert_eq!(err.field, "allowed_source_ips[1]");
        assert!(validate(&settings(json!({"allowed_source_ips": "1.2.3.4"}))).is_err());
        let empty = validate(&settings(json!({"allowed_source_ips": []}))).unwrap_err();
        assert_eq!(empty.field, "allowed_source_ips");
    }
}
