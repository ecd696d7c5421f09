//! Hostile inputs: mutations of real provider payloads (the connectors' fixtures), random JSON,
//! deeply nested JSON, huge numbers, invalid UTF-8 and plain random bytes.

use omnigate_connector_core::testing::{crate_dir, files_under};
use proptest::prelude::*;
use proptest::sample::select;
use serde_json::{Map, Number, Value};

/// Every fixture file of a provider's crate, read once per target.
pub fn fixtures(provider: &str) -> Vec<Vec<u8>> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../connectors")
        .join(crate_dir(provider))
        .join("tests/fixtures");
    let out: Vec<Vec<u8>> = files_under(&root).into_iter().map(|(_, b)| b).collect();
    assert!(!out.is_empty(), "no fixtures under {}", root.display());
    out
}

/// Fragments that break parsers: structure, escapes, numbers out of every range, bad UTF-8.
const TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b",",
    b":",
    b"null",
    b"true",
    b"\\u0000",
    b"\\ud800",
    b"\\udfff\\ud800",
    b"\\",
    b"1e999999",
    b"-1e-999999",
    b"18446744073709551616",
    b"-9223372036854775809",
    b"340282366920938463463374607431768211456",
    b"0.000000000000000000000000000000000000000000001",
    b"NaN",
    b"-0",
    b"\xff\xfe",
    b"\xc3\x28",
    b"\xed\xa0\x80",
    b"\xf4\x90\x80\x80",
    b"\x00",
    b"\xef\xbb\xbf",
];

/// A JSON value of any shape, numbers and strings included at their extremes.
pub fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| Number::from_f64(f).map_or(Value::Null, Value::Number)),
        select(vec![
            i64::MIN.to_string(),
            u64::MAX.to_string(),
            "1e308".into(),
            "-0".into(),
            "4294967296".into(),
        ])
        .prop_map(|s| serde_json::from_str(&s).unwrap_or(Value::Null)),
        ".{0,40}".prop_map(Value::String),
        select(vec![
            "",
            "text",
            "send",
            "echo",
            "open",
            "image",
            "message",
            "user",
            "business",
            "incoming_event",
            "message_created",
            "chat:start",
            "conversation:message",
            "message:send",
            "\u{202e}rtl",
            "../../etc",
            "a\u{0}b",
            "😀",
        ])
        .prop_map(|s| Value::String(s.to_string())),
    ];
    leaf.prop_recursive(6, 64, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..8)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Object keys: the names providers use, so random values land where mappings look.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        select(vec![
            "event",
            "type",
            "user",
            "id",
            "text",
            "content",
            "textContent",
            "imageContent",
            "options",
            "message",
            "messages",
            "author",
            "chat",
            "chat_id",
            "payload",
            "data",
            "conversation",
            "sender",
            "contact",
            "visitor",
            "events",
            "action",
            "secret_key",
            "message_type",
            "private",
            "attachments",
            "inbox",
            "account",
            "website_id",
            "session_id",
            "origin",
            "from",
            "to",
            "time",
            "timestamp",
            "createTime",
            "messageId",
            "inputType",
            "code",
            "url",
            "name",
            "email",
            "phone",
            "status",
            "properties",
            "app",
            "webhook",
            "thread",
            "agent",
            "users",
            "fields",
        ])
        .prop_map(str::to_string),
        ".{0,12}",
    ]
}

/// One edit of a fixture's bytes.
#[derive(Debug, Clone)]
pub enum Edit {
    Flip { at: usize, bit: u8 },
    Insert { at: usize, bytes: Vec<u8> },
    Delete { at: usize, len: usize },
    Truncate { at: usize },
    Duplicate { at: usize, len: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Edit::Flip { at, bit }),
        (any::<usize>(), select(TOKENS.to_vec())).prop_map(|(at, t)| Edit::Insert {
            at,
            bytes: t.to_vec()
        }),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(at, bytes)| Edit::Insert { at, bytes }),
        (any::<usize>(), 1usize..64).prop_map(|(at, len)| Edit::Delete { at, len }),
        any::<usize>().prop_map(|at| Edit::Truncate { at }),
        (any::<usize>(), 1usize..256).prop_map(|(at, len)| Edit::Duplicate { at, len }),
    ]
}

pub fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let n = bytes.len();
        let pos = |at: usize| if n == 0 { 0 } else { at % (n + 1) };
        match e {
            Edit::Flip { at, bit } if n > 0 => bytes[at % n] ^= 1 << bit,
            Edit::Flip { .. } => {}
            Edit::Insert { at, bytes: b } => {
                let p = pos(*at);
                bytes.splice(p..p, b.iter().copied());
            }
            Edit::Delete { at, len } => {
                let p = pos(*at);
                let end = (p + len).min(n);
                bytes.drain(p..end);
            }
            Edit::Truncate { at } => bytes.truncate(pos(*at)),
            Edit::Duplicate { at, len } => {
                let p = pos(*at);
                let end = (p + len).min(n);
                let copy = bytes[p..end].to_vec();
                bytes.splice(end..end, copy);
            }
        }
    }
    bytes
}

/// Replaces the value at a path of `root` (chosen by `choices`) with `new`.
pub fn graft(root: &mut Value, choices: &[usize], new: Value) {
    let Some((c, rest)) = choices.split_first() else {
        *root = new;
        return;
    };
    let child = match root {
        Value::Object(map) if !map.is_empty() => {
            let key = map.keys().nth(c % map.len()).cloned().unwrap_or_default();
            map.get_mut(&key)
        }
        Value::Array(items) if !items.is_empty() => {
            let i = c % items.len();
            items.get_mut(i)
        }
        _ => None,
    };
    match child {
        Some(child) => graft(child, rest, new),
        None => *root = new,
    }
}

/// Nesting far beyond any parser's recursion limit.
fn deep() -> impl Strategy<Value = Vec<u8>> {
    (1usize..20_000, any::<bool>(), any::<bool>()).prop_map(|(depth, objects, closed)| {
        let (open, close): (&[u8], &[u8]) = if objects {
            (b"{\"a\":", b"}")
        } else {
            (b"[", b"]")
        };
        let mut out = Vec::with_capacity(depth * (open.len() + 1) + 8);
        for _ in 0..depth {
            out.extend_from_slice(open);
        }
        out.extend_from_slice(b"1");
        if closed {
            for _ in 0..depth {
                out.extend_from_slice(close);
            }
        }
        out
    })
}

/// A body: mostly fixtures changed a little (so mappings are reached), plus anything at all.
pub fn body(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    let n = seeds.len();
    let parsed: Vec<Option<Value>> = seeds
        .iter()
        .map(|s| serde_json::from_slice(s).ok())
        .collect();
    let mutated = {
        let seeds = seeds.clone();
        (0..n, prop::collection::vec(edit(), 0..6))
            .prop_map(move |(i, edits)| apply(seeds[i].clone(), &edits))
    };
    let grafted = (
        0..n,
        prop::collection::vec(any::<usize>(), 0..8),
        json_value(),
    )
        .prop_map(move |(i, path, new)| match &parsed[i] {
            Some(v) => {
                let mut v = v.clone();
                graft(&mut v, &path, new);
                serde_json::to_vec(&v).unwrap_or_default()
            }
            None => Vec::new(),
        });
    prop_oneof![
        4 => mutated,
        4 => grafted,
        1 => json_value().prop_map(|v| serde_json::to_vec(&v).unwrap_or_default()),
        1 => deep(),
        1 => prop::collection::vec(any::<u8>(), 0..512),
    ]
}

/// Header lists as a hostile client could send them (names lower case, as the gateway passes):
/// the `names` the providers sign with, plus ones every gateway sees.
pub fn headers(names: Vec<String>) -> impl Strategy<Value = Vec<(String, String)>> {
    let mut names = names;
    names.extend(["content-type", "x-forwarded-for"].map(String::from));
    prop::collection::vec(
        (
            select(names),
            prop_oneof![
                ".{0,80}",
                Just("sha256=".to_string()),
                Just("0".repeat(64)),
                Just("-9223372036854775808".to_string()),
                Just("99999999999999999999999".to_string()),
            ],
        ),
        0..6,
    )
}
