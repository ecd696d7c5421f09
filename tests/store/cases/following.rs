//! Following new events: the newest sequence number is where a follower starts, and reading
//! after it yields exactly what is stored later.

use omnigate::store::EventQuery;

use super::*;

async fn all_after(s: &S, after: i64) -> Vec<String> {
    s.list_events(EventQuery {
        after_seq: Some(after),
        limit: 500,
        ..Default::default()
    })
    .await
    .unwrap()
    .into_iter()
    .map(|e| e.id.to_string())
    .collect()
}

pub async fn a_follower_starts_after_the_newest_event_and_sees_only_later_ones(s: S) {
    let empty = s.last_event_seq().await.unwrap();
    assert_eq!(all_after(&s, empty).await, Vec::<String>::new());
    let ch = approved_channel(&s).await;
    let before = vec![event("cnv_f", 1, None), event("cnv_f", 2, None)];
    s.append(&ch.id, before.clone()).await.unwrap();
    let head = s.last_event_seq().await.unwrap();
    let stored = s
        .list_events(EventQuery {
            limit: 500,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(stored.last().map(|e| e.seq), Some(head));
    assert_eq!(
        stored.last().map(|e| e.id.clone()),
        Some(before[1].id.clone())
    );
    assert_eq!(all_after(&s, head).await, Vec::<String>::new());

    let later = event("cnv_f", 3, None);
    s.append(&ch.id, vec![later.clone()]).await.unwrap();
    assert_eq!(all_after(&s, head).await, vec![later.id.clone()]);
    let stored_later = s.get_event(&later.id).await.unwrap().unwrap();
    assert_eq!(s.last_event_seq().await.unwrap(), stored_later.seq);
}
