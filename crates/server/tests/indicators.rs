//! `GET /api/v1/indicators` against the real server over HTTP, on SQLite and on PostgreSQL: the
//! Sopot 2021 fixture pushed through the sync API gives the report's numbers; deleted and edited
//! records; empty periods; who may ask; bad periods get a clear answer.

mod common;

use common::*;
use latarnia_core::fixture::{self, sopot_summer_2021};
use latarnia_core::sync::{PushRequest, SCHEMA_VERSION};
use latarnia_core::{Hlc, Mutation, Op};
use serde_json::{json, Value};
use uuid::Uuid;

const PASSWORD: &str = "password-of-the-test";

async fn push_all(http: &Http, client: Uuid, mutations: Vec<Mutation>) {
    use latarnia_core::engine::Transport;
    for chunk in mutations.chunks(500) {
        let req = PushRequest { client_id: client, schema_version: SCHEMA_VERSION, mutations: chunk.to_vec() };
        let r = http.push(&req).await.expect("push");
        assert!(r.results.iter().all(|m| m.error.is_none()), "{:?}", r.results.iter().find(|m| m.error.is_some()));
    }
}

async fn sopot_on(backend: Backend) {
    let Some(url) = backend.fresh_url().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &url, free_addr());
    server.add_user("koordynatorka", "coordinator");
    server.add_user("ania", "streetworker");
    server.add_user("straz", "partner");
    let coordinator = Http::login(&server.url(), "koordynatorka", PASSWORD).await;
    let client = Uuid::new_v4();
    let f = sopot_summer_2021();
    let mutations = f.mutations(client, 1);
    let last_mid = mutations.len() as u64;
    push_all(&coordinator, client, mutations).await;

    let (status, answer) = coordinator.get("/indicators?from=2021-06-01&to=2021-08-31").await;
    assert_eq!(status, 200, "{answer}");
    let t = &answer["indicators"];
    assert_eq!(t["patrols"], 150, "{backend:?}");
    assert_eq!(t["patrol_minutes"], 450 * 60);
    assert_eq!(t["contacts"], 977);
    assert_eq!(t["contacts_with_women"], 97);
    assert_eq!(t["contacts_with_children"], 21);
    assert_eq!(t["premedical_help"], 394);
    assert_eq!(t["given"]["mask"], 111);
    assert_eq!(t["patrols_by_kind"], json!({"streetworking": 150}));
    assert_eq!(t["places_new"], fixture::SOPOT_PLACES);
    assert_eq!((t["reports_received"].clone(), t["reports_closed"].clone()), (json!(4), json!(2)));
    assert_eq!(t["report_check_median_minutes"], 90);
    assert_eq!(t["by_month"].as_array().unwrap().len(), 3);
    assert_eq!(answer["period"], json!({"from": "2021-06-01", "to": "2021-08-31"}));
    // The server's numbers are `compute` over the same records.
    let summer = latarnia_core::indicators::Period::parse("2021-06-01", "2021-08-31", None).unwrap();
    let local = latarnia_core::indicators::compute(&f, &summer);
    assert_eq!(t, &serde_json::to_value(&local).unwrap());

    // One team member: Ania is in a third of the patrols (two of the six names of each).
    let (_, ania) = coordinator.get("/indicators?from=2021-06-01&to=2021-08-31&member=Ania").await;
    assert_eq!(ania["indicators"]["patrols"], 50);
    assert_eq!(ania["indicators"]["places_new"], Value::Null);

    // A deleted contact never counts; an edited one counts once, as it is now.
    let hlc = |n: u64| Hlc { physical_ms: 1_700_000_000_000 + n, counter: 0, client }.to_string();
    let (gone, edited) = (&f.contacts[0], &f.contacts[1]);
    let edits = vec![
        Mutation {
            mid: last_mid + 1,
            collection: "contacts".into(),
            id: gone.id,
            op: Op::Delete,
            hlc: hlc(1),
            fields: Default::default(),
        },
        Mutation {
            mid: last_mid + 2,
            collection: "contacts".into(),
            id: edited.id,
            op: Op::Upsert,
            hlc: hlc(2),
            fields: json!({"headcount": edited.headcount + 4}).as_object().unwrap().clone(),
        },
    ];
    push_all(&coordinator, client, edits).await;
    let (_, after) = coordinator.get("/indicators?from=2021-06-01&to=2021-08-31").await;
    let people = |v: &Value| v["indicators"]["people_met"].as_u64().unwrap();
    assert_eq!(after["indicators"]["contacts"], 976);
    assert_eq!(people(&after), people(&answer) - u64::from(gone.headcount) + 4);
    assert_eq!(after["indicators"]["contacts_with_women"], 96, "the deleted one was with a woman");

    // A period with no data: zeros, a row per month, no median.
    let (_, empty) = coordinator.get("/indicators?from=2022-01-01&to=2022-03-31").await;
    assert_eq!(empty["indicators"]["contacts"], 0);
    assert_eq!(empty["indicators"]["patrols"], 0);
    assert_eq!(empty["indicators"]["report_check_median_minutes"], Value::Null);
    assert_eq!(empty["indicators"]["by_month"].as_array().unwrap().len(), 3);

    // Bad periods: a 400 that says what is wrong.
    for (q, says) in [
        ("from=2021-08-31&to=2021-06-01", "ends before it starts"),
        ("from=31.08.2021&to=2021-06-01", "YYYY-MM-DD"),
        ("from=2000-01-01&to=2021-06-01", "ten years"),
        ("to=2021-06-01", "from"),
    ] {
        let (status, v) = coordinator.get(&format!("/indicators?{q}")).await;
        assert_eq!(status, 400, "{q}");
        assert_eq!(v["error"], "bad_request");
        assert!(v["message"].as_str().unwrap().contains(says), "{q}: {v}");
    }

    // Only coordinators and admins: streetworkers and partners never read the table.
    for login in ["ania", "straz"] {
        let http = Http::login(&server.url(), login, PASSWORD).await;
        let (status, v) = http.get("/indicators?from=2021-06-01&to=2021-08-31").await;
        assert_eq!((status, v["error"].as_str()), (403, Some("forbidden")), "{login}");
    }
    let (login, password) = server.first_admin.clone().expect("first start");
    let admin = Http::login(&server.url(), &login, &password).await;
    assert_eq!(admin.get("/indicators?from=2021-06-01&to=2021-08-31").await.1["indicators"]["contacts"], 976);
    let nobody = admin.with_token("forged");
    assert_eq!(nobody.get("/indicators?from=2021-06-01&to=2021-08-31").await.0, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn sopot_2021_through_the_sync_api_on_sqlite() {
    sopot_on(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sopot_2021_through_the_sync_api_on_postgres() {
    sopot_on(Backend::Postgres).await;
}

/// A contact recorded at a place that a coordinator later merged into another counts at the
/// surviving place on the server too (the merged place is deleted, its link followed).
async fn merged_place_on(backend: Backend) {
    use chrono::TimeZone;
    use latarnia_core::protocol::fields_of;
    use latarnia_core::{Contact, Position, PositionStatus, Site, SiteKind};
    let Some(url) = backend.fresh_url().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &url, free_addr());
    server.add_user("koordynatorka", "coordinator");
    let coordinator = Http::login(&server.url(), "koordynatorka", PASSWORD).await;
    let client = Uuid::new_v4();
    let january = chrono::Utc.with_ymd_and_hms(2026, 1, 10, 22, 0, 0).unwrap();
    let at = Position { lat: 52.40, lon: 16.93, accuracy_m: 5.0 };
    let most = Site::new(Uuid::new_v4(), "Most na Warcie", SiteKind::BridgeViaduct, at, january);
    let wiadukt = Site::new(Uuid::new_v4(), "Wiadukt nad Wartą", SiteKind::BridgeViaduct, at, january);
    let contact_at = |site: &Site| Contact {
        site_id: Some(site.id),
        ..Contact::quick(Uuid::new_v4(), None, january, Err(PositionStatus::Unavailable))
    };
    let f = latarnia_core::indicators::Dataset {
        sites: vec![most.clone(), wiadukt.clone()],
        // Visits at "Wiadukt" only: were its link not followed, they would count nowhere.
        contacts: vec![contact_at(&wiadukt), contact_at(&wiadukt)],
        ..Default::default()
    };
    let mutations = f.mutations(client, 1);
    let next = mutations.len() as u64 + 1;
    push_all(&coordinator, client, mutations).await;
    let active = |answer: Value| answer["indicators"]["places_active"].clone();
    let period = "/indicators?from=2026-01-01&to=2026-01-31";
    assert_eq!(active(coordinator.get(period).await.1), 1, "{backend:?}: one place visited");

    // The coordinator merges "Wiadukt" into "Most": marked merged, then deleted.
    let now = Hlc { physical_ms: chrono::Utc::now().timestamp_millis() as u64, counter: 0, client };
    let merged = Site { merged_into: Some(most.id), ..wiadukt.clone() };
    let retire = |mid: u64, op: Op, fields: serde_json::Map<String, Value>, counter: u16| Mutation {
        mid,
        collection: "sites".into(),
        id: wiadukt.id,
        op,
        hlc: Hlc { counter, ..now }.to_string(),
        fields,
    };
    push_all(
        &coordinator,
        client,
        vec![retire(next, Op::Upsert, fields_of(&merged), 0), retire(next + 1, Op::Delete, Default::default(), 1)],
    )
    .await;
    assert_eq!(active(coordinator.get(period).await.1), 1, "{backend:?}: the visits count at the survivor");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_visit_to_a_merged_place_counts_at_the_survivor_on_sqlite() {
    merged_place_on(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_visit_to_a_merged_place_counts_at_the_survivor_on_postgres() {
    merged_place_on(Backend::Postgres).await;
}
