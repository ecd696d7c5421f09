//! `/v1/agents` and `/v1/teams`: an operator registers agents and teams, agents set their
//! availability, and bad input is refused with a stable code and changes nothing.

use reqwest::Method;
use serde_json::{json, Value};

use crate::helpers::*;

async fn patch(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    app.call(Method::PATCH, path, Some(body)).await
}

async fn put(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    app.call(Method::PUT, path, Some(body)).await
}

async fn delete(app: &TestApp, path: &str) -> u16 {
    app.call(Method::DELETE, path, None).await.0
}

fn ids(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_string())
        .collect()
}

/// Today's and another weekday in UTC, as working-hours day names.
fn today_and_another_day() -> (&'static str, &'static str) {
    use chrono::Datelike;
    const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let today = chrono::Utc::now().weekday().num_days_from_monday() as usize;
    (DAYS[today], DAYS[(today + 3) % 7])
}

#[tokio::test]
async fn an_operator_registers_agents_who_become_available_when_online_and_in_hours() {
    let app = spawn_app().await;
    let (status, kim) = app.post("/v1/agents", json!({"name": "Kim Minji"})).await;
    assert_eq!(status, 201, "{kim}");
    assert!(kim["id"].as_str().unwrap().starts_with("agt_"));
    assert_eq!(kim["capacity"], 10, "the default capacity");
    assert_eq!(kim["status"], "offline");
    assert_eq!(kim["available"], false);
    assert_eq!(kim["teams"], json!([]));
    assert_eq!(kim["email"], Value::Null);

    let (today, other) = today_and_another_day();
    let (status, lee) = app
        .post(
            "/v1/agents",
            json!({"name": "Lee", "email": "lee@example.com", "external_id": "42",
                   "capacity": 3, "status": "online",
                   "working_hours": {"time_zone": "UTC",
                                     "blocks": [{"days": [today], "from": "00:00", "to": "24:00"}]}}),
        )
        .await;
    assert_eq!(status, 201, "{lee}");
    assert_eq!(lee["available"], true, "online, inside today's hours");
    assert_eq!(lee["capacity"], 3);
    assert_eq!(lee["external_id"], "42");
    let lee_id = lee["id"].as_str().unwrap();

    // Hours on another day only: online, but not available now.
    let (status, moved) = patch(
        &app,
        &format!("/v1/agents/{lee_id}"),
        json!({"working_hours": {"time_zone": "Asia/Seoul",
                                 "blocks": [{"days": [other], "from": "09:00", "to": "10:00"}]},
               "email": null}),
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(
        (moved["status"].as_str(), moved["available"].as_bool()),
        (Some("online"), Some(false))
    );
    assert_eq!(moved["email"], Value::Null, "null clears the e-mail");
    assert_eq!(moved["external_id"], "42", "absent fields stay");
    let (_, moved) = patch(
        &app,
        &format!("/v1/agents/{lee_id}"),
        json!({"working_hours": null}),
    )
    .await;
    assert_eq!(
        moved["available"], true,
        "without hours, online is available"
    );

    // The agent's own toggle.
    let kim_id = kim["id"].as_str().unwrap();
    let (status, away) = put(
        &app,
        &format!("/v1/agents/{kim_id}/availability"),
        json!({"status": "online"}),
    )
    .await;
    assert_eq!(status, 200, "{away}");
    assert_eq!(away["available"], true);
    assert!(
        away["status_changed_at"].as_str().unwrap() >= kim["status_changed_at"].as_str().unwrap()
    );
    let (_, away) = put(
        &app,
        &format!("/v1/agents/{kim_id}/availability"),
        json!({"status": "away"}),
    )
    .await;
    assert_eq!(
        (away["status"].as_str(), away["available"].as_bool()),
        (Some("away"), Some(false))
    );

    let (status, one) = app.get(&format!("/v1/agents/{lee_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(one["name"], "Lee");
    let (_, online) = app.get("/v1/agents?status=online").await;
    assert_eq!(ids(&online), [lee_id]);
    let (_, all) = app.get("/v1/agents").await;
    assert_eq!(ids(&all), [kim_id, lee_id], "oldest first");
    assert_eq!(all["next"], Value::Null);
    let (_, first) = app.get("/v1/agents?limit=1").await;
    assert_eq!(
        (ids(&first), first["next"].as_str()),
        (vec![kim_id.to_string()], Some(kim_id))
    );
    let (_, second) = app.get(&format!("/v1/agents?limit=1&after={kim_id}")).await;
    assert_eq!(ids(&second), [lee_id]);

    assert_eq!(delete(&app, &format!("/v1/agents/{kim_id}")).await, 204);
    assert_eq!(app.get(&format!("/v1/agents/{kim_id}")).await.0, 404);
    assert_eq!(delete(&app, &format!("/v1/agents/{kim_id}")).await, 404);
}

#[tokio::test]
async fn bad_agent_input_is_refused_with_its_code_and_changes_nothing() {
    let app = spawn_app().await;
    let (_, kim) = app
        .post("/v1/agents", json!({"name": "Kim", "external_id": "42"}))
        .await;
    let kim_id = kim["id"].as_str().unwrap();
    let cases = [
        (json!({"name": "  "}), 422, "invalid_name", "name"),
        (
            json!({"name": "A", "email": "not-an-address"}),
            422,
            "invalid_email",
            "email",
        ),
        (
            json!({"name": "A", "external_id": ""}),
            422,
            "invalid_external_id",
            "external_id",
        ),
        (
            json!({"name": "A", "capacity": 0}),
            422,
            "invalid_capacity",
            "capacity",
        ),
        (
            json!({"name": "A", "capacity": 1001}),
            422,
            "invalid_capacity",
            "capacity",
        ),
        (
            json!({"name": "A", "capacity": "ten"}),
            422,
            "invalid_capacity",
            "capacity",
        ),
        (
            json!({"name": "A", "status": "busy"}),
            422,
            "invalid_status",
            "status",
        ),
        (
            json!({"name": "A", "external_id": "42"}),
            409,
            "external_id_taken",
            "external_id",
        ),
        (
            json!({"name": "A", "working_hours": {"time_zone": "Mars/Olympus",
                   "blocks": [{"days": ["mon"], "from": "09:00", "to": "18:00"}]}}),
            422,
            "invalid_working_hours",
            "working_hours",
        ),
    ];
    for (body, status, code, field) in cases {
        let (got, problem) = app.post("/v1/agents", body.clone()).await;
        assert_eq!(
            (got, problem["code"].as_str()),
            (status, Some(code)),
            "{body}: {problem}"
        );
        assert_eq!(problem["field"], field, "{body}");
    }
    let (_, taken) = app
        .post("/v1/agents", json!({"name": "A", "external_id": "42"}))
        .await;
    assert_eq!(taken["agent"], kim_id, "the problem names who has the id");
    let (_, hours) = app
        .post(
            "/v1/agents",
            json!({"name": "A", "working_hours": {"time_zone": "UTC",
                   "blocks": [{"days": ["mon"], "from": "18:00", "to": "09:00"}]}}),
        )
        .await;
    assert_eq!(hours["pointer"], "/blocks/0/to", "{hours}");
    let (status, unknown) = app
        .post("/v1/agents", json!({"name": "A", "skills": ["x"]}))
        .await;
    assert_eq!(
        (status, unknown["code"].as_str()),
        (422, Some("invalid_body"))
    );
    let (_, all) = app.get("/v1/agents").await;
    assert_eq!(ids(&all), [kim_id], "nothing refused was stored");

    let (status, p) = patch(
        &app,
        &format!("/v1/agents/{kim_id}"),
        json!({"capacity": -1}),
    )
    .await;
    assert_eq!(
        (status, p["code"].as_str()),
        (422, Some("invalid_capacity"))
    );
    let (status, p) = put(
        &app,
        &format!("/v1/agents/{kim_id}/availability"),
        json!({"status": "lunch"}),
    )
    .await;
    assert_eq!((status, p["code"].as_str()), (422, Some("invalid_status")));
    let (_, same) = app.get(&format!("/v1/agents/{kim_id}")).await;
    assert_eq!(
        (same["capacity"].as_u64(), same["status"].as_str()),
        (Some(10), Some("offline"))
    );
    let (status, p) = put(
        &app,
        "/v1/agents/agt_nobody/availability",
        json!({"status": "online"}),
    )
    .await;
    assert_eq!((status, p["code"].as_str()), (404, Some("not_found")));
    let (status, p) = app.get("/v1/agents?status=busy").await;
    assert_eq!((status, p["code"].as_str()), (422, Some("invalid_status")));
    let (status, p) = app.get("/v1/agents?team=tm_nobody").await;
    assert_eq!((status, p["code"].as_str()), (422, Some("unknown_team")));
    let (status, p) = app.get("/v1/agents?after=agt_nobody").await;
    assert_eq!((status, p["code"].as_str()), (400, Some("invalid_cursor")));
}

#[tokio::test]
async fn teams_hold_agents_in_order_and_lose_a_deleted_agent() {
    let app = spawn_app().await;
    let mut agents = Vec::new();
    for name in ["A", "B", "C"] {
        let (_, a) = app.post("/v1/agents", json!({"name": name})).await;
        agents.push(a["id"].as_str().unwrap().to_string());
    }
    let (a, b, c) = (&agents[0], &agents[1], &agents[2]);
    let (status, p) = app
        .post(
            "/v1/teams",
            json!({"name": "Sales", "members": [a, "agt_nobody"]}),
        )
        .await;
    assert_eq!(
        (status, p["code"].as_str(), p["agent"].as_str()),
        (422, Some("unknown_agent"), Some("agt_nobody"))
    );
    assert_eq!(
        ids(&app.get("/v1/teams").await.1),
        Vec::<String>::new(),
        "nothing stored"
    );

    let (status, sales) = app
        .post("/v1/teams", json!({"name": "Sales", "members": [c, a, c]}))
        .await;
    assert_eq!(status, 201, "{sales}");
    assert_eq!(sales["members"], json!([c, a]), "in order, each once");
    let sales_id = sales["id"].as_str().unwrap();
    assert!(sales_id.starts_with("tm_"));
    let (_, agent_a) = app.get(&format!("/v1/agents/{a}")).await;
    assert_eq!(agent_a["teams"], json!([sales_id]));
    let (_, members) = app.get(&format!("/v1/agents?team={sales_id}")).await;
    assert_eq!(
        ids(&members),
        [a.clone(), c.clone()],
        "agents in their own order"
    );

    let (status, renamed) = patch(
        &app,
        &format!("/v1/teams/{sales_id}"),
        json!({"name": "Sales EU", "members": [b, a]}),
    )
    .await;
    assert_eq!(status, 200, "{renamed}");
    assert_eq!(
        (renamed["name"].as_str(), &renamed["members"]),
        (Some("Sales EU"), &json!([b, a]))
    );
    assert_eq!(delete(&app, &format!("/v1/agents/{a}")).await, 204);
    let (_, team) = app.get(&format!("/v1/teams/{sales_id}")).await;
    assert_eq!(team["members"], json!([b]));

    let too_many: Vec<String> = (0..1001).map(|i| format!("agt_{i}")).collect();
    let (status, p) = patch(
        &app,
        &format!("/v1/teams/{sales_id}"),
        json!({"members": too_many}),
    )
    .await;
    assert_eq!((status, p["code"].as_str()), (422, Some("invalid_members")));
    let (status, p) = patch(&app, &format!("/v1/teams/{sales_id}"), json!({"name": ""})).await;
    assert_eq!((status, p["code"].as_str()), (422, Some("invalid_name")));
    assert_eq!(
        app.get(&format!("/v1/teams/{sales_id}")).await.1["name"],
        "Sales EU"
    );

    let (_, all) = app.get("/v1/teams").await;
    assert_eq!(ids(&all), [sales_id]);
    assert_eq!(delete(&app, &format!("/v1/teams/{sales_id}")).await, 204);
    assert_eq!(app.get(&format!("/v1/teams/{sales_id}")).await.0, 404);
    let (_, agent_b) = app.get(&format!("/v1/agents/{b}")).await;
    assert_eq!(
        agent_b["teams"],
        json!([]),
        "the agent stays, without the team"
    );
}
