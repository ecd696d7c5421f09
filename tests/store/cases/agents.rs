//! Agents and teams: external ids stay unique, teams only list agents, deleting an agent takes
//! it out of its teams, and concurrent changes are neither lost nor doubled.

use omnigate::domain::time::Timestamp;
use omnigate::routing::agents::{Agent, AgentPatch, Status, Team, TeamPatch};
use omnigate::store::StoreError;

use super::S;

fn agent(name: &str, external_id: Option<&str>) -> Agent {
    let now = Timestamp::now();
    Agent {
        id: omnigate::ids::agent_id(),
        name: name.into(),
        email: None,
        external_id: external_id.map(str::to_string),
        capacity: 10,
        status: Status::Offline,
        status_changed_at: now,
        working_hours: None,
        teams: vec![],
        created_at: now,
        updated_at: now,
    }
}

fn team(name: &str, members: &[&str]) -> Team {
    let now = Timestamp::now();
    Team {
        id: omnigate::ids::team_id(),
        name: name.into(),
        members: members.iter().map(|m| m.to_string()).collect(),
        created_at: now,
        updated_at: now,
    }
}

pub async fn agents_keep_external_ids_unique_and_are_listed_in_creation_order(s: S) {
    let kim = s.create_agent(agent("Kim", Some("42"))).await.unwrap();
    let lee = s.create_agent(agent("Lee", None)).await.unwrap();
    let taken = s.create_agent(agent("Park", Some("42"))).await;
    assert!(
        matches!(taken, Err(StoreError::Taken("external_id"))),
        "{taken:?}"
    );
    let names: Vec<String> = s
        .list_agents()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.name)
        .collect();
    assert_eq!(names, ["Kim", "Lee"], "the refused agent was not stored");

    assert_eq!(
        s.agent_by_external_id("42").await.unwrap().unwrap().id,
        kim.id
    );
    let refused = s
        .update_agent(
            &lee.id,
            AgentPatch {
                external_id: Some(Some("42".into())),
                ..Default::default()
            },
        )
        .await;
    assert!(matches!(refused, Err(StoreError::Taken(_))), "{refused:?}");
    assert_eq!(
        s.get_agent(&lee.id).await.unwrap().unwrap().external_id,
        None
    );

    // Kim gives the id up; Lee can take it, and Kim's old id is free.
    let kim2 = s
        .update_agent(
            &kim.id,
            AgentPatch {
                external_id: Some(Some("43".into())),
                status: Some(Status::Online),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(kim2.status, Status::Online);
    assert!(kim2.status_changed_at >= kim.status_changed_at);
    assert_eq!(kim2.created_at, kim.created_at);
    let lee2 = s
        .update_agent(
            &lee.id,
            AgentPatch {
                external_id: Some(Some("42".into())),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(lee2.external_id.as_deref(), Some("42"));
    assert_eq!(
        s.agent_by_external_id("42").await.unwrap().unwrap().id,
        lee.id
    );
    assert_eq!(
        s.agent_by_external_id("43").await.unwrap().unwrap().id,
        kim.id
    );

    // Deleting frees the external id.
    s.delete_agent(&lee.id).await.unwrap();
    assert!(s.agent_by_external_id("42").await.unwrap().is_none());
    assert!(s.get_agent(&lee.id).await.unwrap().is_none());
    assert!(matches!(
        s.delete_agent(&lee.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        s.update_agent(&lee.id, AgentPatch::default()).await,
        Err(StoreError::NotFound)
    ));
    s.create_agent(agent("Park", Some("42"))).await.unwrap();
}

pub async fn teams_list_only_agents_and_lose_a_deleted_one(s: S) {
    let a = s.create_agent(agent("A", None)).await.unwrap();
    let b = s.create_agent(agent("B", None)).await.unwrap();
    let c = s.create_agent(agent("C", None)).await.unwrap();
    let refused = s.create_team(team("Ghosts", &[&a.id, "agt_nobody"])).await;
    assert!(
        matches!(&refused, Err(StoreError::UnknownAgent(id)) if id == "agt_nobody"),
        "{refused:?}"
    );
    assert!(
        s.list_teams().await.unwrap().is_empty(),
        "nothing was stored"
    );

    let sales = s.create_team(team("Sales", &[&c.id, &a.id])).await.unwrap();
    assert_eq!(
        sales.members,
        [c.id.clone(), a.id.clone()],
        "in the order given"
    );
    let support = s.create_team(team("Support", &[&a.id])).await.unwrap();
    let mut both = vec![sales.id.clone(), support.id.clone()];
    both.sort();
    assert_eq!(s.get_agent(&a.id).await.unwrap().unwrap().teams, both);

    let sales = s
        .update_team(
            &sales.id,
            TeamPatch {
                members: Some(vec![b.id.clone(), a.id.clone(), c.id.clone()]),
                name: Some("Sales EU".into()),
            },
        )
        .await
        .unwrap();
    assert_eq!(sales.members, [b.id.clone(), a.id.clone(), c.id.clone()]);
    assert_eq!(sales.name, "Sales EU");
    let refused = s
        .update_team(
            &sales.id,
            TeamPatch {
                members: Some(vec!["agt_nobody".into()]),
                name: Some("Renamed".into()),
            },
        )
        .await;
    assert!(
        matches!(refused, Err(StoreError::UnknownAgent(_))),
        "{refused:?}"
    );
    let unchanged = s.get_team(&sales.id).await.unwrap().unwrap();
    assert_eq!(
        (unchanged.name.as_str(), unchanged.members.len()),
        ("Sales EU", 3)
    );

    s.delete_agent(&a.id).await.unwrap();
    assert_eq!(
        s.get_team(&sales.id).await.unwrap().unwrap().members,
        [b.id.clone(), c.id.clone()]
    );
    assert!(s
        .get_team(&support.id)
        .await
        .unwrap()
        .unwrap()
        .members
        .is_empty());

    s.delete_team(&sales.id).await.unwrap();
    assert!(s.get_agent(&b.id).await.unwrap().unwrap().teams.is_empty());
    assert!(matches!(
        s.delete_team(&sales.id).await,
        Err(StoreError::NotFound)
    ));
    let names: Vec<String> = s
        .list_teams()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["Support"]);
}

pub async fn concurrent_agent_changes_are_all_kept_and_one_external_id_wins(s: S) {
    let a = s.create_agent(agent("A", None)).await.unwrap();
    // Each round changes two fields at once from two tasks: both changes are kept, whichever
    // writes last (a lost update would leave the other field as it was).
    for round in 1..=20u32 {
        let (s1, s2, id1, id2) = (s.clone(), s.clone(), a.id.clone(), a.id.clone());
        let capacity = tokio::spawn(async move {
            let patch = AgentPatch {
                capacity: Some(round),
                ..Default::default()
            };
            s1.update_agent(&id1, patch).await
        });
        let name = tokio::spawn(async move {
            let patch = AgentPatch {
                name: Some(format!("A{round}")),
                ..Default::default()
            };
            s2.update_agent(&id2, patch).await
        });
        capacity.await.unwrap().unwrap();
        name.await.unwrap().unwrap();
        let now = s.get_agent(&a.id).await.unwrap().unwrap();
        assert_eq!((now.capacity, now.name), (round, format!("A{round}")));
    }

    // Ten agents want the same external id at once: exactly one gets it.
    let mut calls = Vec::new();
    for i in 0..10 {
        let s = s.clone();
        calls.push(tokio::spawn(async move {
            s.create_agent(agent(&format!("P{i}"), Some("77"))).await
        }));
    }
    let mut created = 0;
    let mut taken = 0;
    for call in calls {
        match call.await.unwrap() {
            Ok(_) => created += 1,
            Err(StoreError::Taken(_)) => taken += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!((created, taken), (1, 9));
    assert_eq!(s.list_agents().await.unwrap().len(), 2);
}
