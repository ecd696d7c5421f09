//! Channels and destinations are listed in pages, oldest first, after a cursor.

use omnigate::store::StoreError;

use super::{channel, destination, S};

pub async fn channels_and_destinations_are_listed_in_pages(s: S) {
    let mut channels = Vec::new();
    let mut destinations = Vec::new();
    for _ in 0..3 {
        channels.push(s.create_channel(channel()).await.unwrap().id);
        destinations.push(s.create_destination(destination(&["*"])).await.unwrap().id);
    }
    let first = s.list_channels_page(None, 2).await.unwrap();
    assert_eq!(
        first.into_iter().map(|c| c.id).collect::<Vec<_>>(),
        channels[..2].to_vec()
    );
    let rest = s
        .list_channels_page(Some(channels[1].clone()), 2)
        .await
        .unwrap();
    assert_eq!(
        rest.into_iter().map(|c| c.id).collect::<Vec<_>>(),
        channels[2..].to_vec()
    );
    assert!(s
        .list_channels_page(Some(channels[2].clone()), 2)
        .await
        .unwrap()
        .is_empty());
    assert!(matches!(
        s.list_channels_page(Some("chn_missing".into()), 2).await,
        Err(StoreError::NotFound)
    ));

    let first = s.list_destinations_page(None, 2).await.unwrap();
    assert_eq!(
        first.into_iter().map(|d| d.id).collect::<Vec<_>>(),
        destinations[..2].to_vec()
    );
    let rest = s
        .list_destinations_page(Some(destinations[1].clone()), 5)
        .await
        .unwrap();
    assert_eq!(
        rest.into_iter().map(|d| d.id).collect::<Vec<_>>(),
        destinations[2..].to_vec()
    );
    assert!(matches!(
        s.list_destinations_page(Some("dst_missing".into()), 2)
            .await,
        Err(StoreError::NotFound)
    ));
    // A deleted item's successor is still reached from the item before it.
    s.delete_channel(&channels[1]).await.unwrap();
    let rest = s
        .list_channels_page(Some(channels[0].clone()), 5)
        .await
        .unwrap();
    assert_eq!(
        rest.into_iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![channels[2].clone()]
    );
}
