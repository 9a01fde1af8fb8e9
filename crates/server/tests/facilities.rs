//! Beds held at aid facilities, against the real server over HTTP on SQLite and PostgreSQL: a
//! hold that meets a full facility is refused (`facility_full`) and one at an unknown facility
//! too; a facility account reads the directory and only the holds made at its facility (never
//! the contact they came from), reports its own free beds and answers its own holds — and
//! nothing else; an arrival after the count keeps its bed.

mod common;

use chrono::{Duration, Utc};
use common::*;
use latarnia_core::facilities::{BedHold, Facility, FacilityKind, HoldStatus, Needs};
use latarnia_core::protocol::{fields_of, BED_HOLDS, FACILITIES};
use latarnia_core::sync::{PushRequest, PushResponse, SCHEMA_VERSION};
use latarnia_core::{Gender, Hlc, Mutation, Op};
use serde_json::{json, Map, Value};
use uuid::Uuid;

const PASSWORD: &str = "password-of-the-test";

/// One phone's pushes, its mids counted.
struct Pusher {
    http: Http,
    client: Uuid,
    mid: u64,
}

impl Pusher {
    fn new(http: Http) -> Self {
        Pusher { http, client: Uuid::new_v4(), mid: 0 }
    }

    async fn push(&mut self, collection: &str, id: Uuid, fields: Map<String, Value>) -> (Option<String>, String) {
        use latarnia_core::engine::Transport;
        self.mid += 1;
        let hlc =
            Hlc { physical_ms: Utc::now().timestamp_millis() as u64, counter: self.mid as u16, client: self.client };
        let m =
            Mutation { mid: self.mid, collection: collection.into(), id, op: Op::Upsert, hlc: hlc.to_string(), fields };
        let req = PushRequest { client_id: self.client, schema_version: SCHEMA_VERSION, mutations: vec![m] };
        let r: PushResponse = self.http.push(&req).await.expect("push");
        (r.results[0].error.clone(), r.results[0].message.clone().unwrap_or_default())
    }
}

fn hold(facility: Uuid, n: u128) -> BedHold {
    BedHold {
        id: Uuid::from_u128(0x401d_0000 + n),
        facility_id: facility,
        contact_id: Some(Uuid::from_u128(0xc0 + n)),
        held_at: Utc::now(),
        minutes: 90,
        needs: Needs { gender: Some(Gender::Female), dog: true, ..Needs::default() },
        team: vec!["Ola".into()],
        status: HoldStatus::Held,
        status_at: None,
    }
}

fn fields(v: Value) -> Map<String, Value> {
    v.as_object().unwrap().clone()
}

async fn holds_on(backend: Backend) {
    use latarnia_core::engine::Transport;
    let Some(url) = backend.fresh_url().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &url, free_addr());
    server.add_user("koordynatorka", "coordinator");
    server.add_user("ania", "streetworker");
    server.add_user("recepcja", "facility");
    let mut coordinator = Pusher::new(Http::login(&server.url(), "koordynatorka", PASSWORD).await);
    let mut ania = Pusher::new(Http::login(&server.url(), "ania", PASSWORD).await);
    let reception = Http::login(&server.url(), "recepcja", PASSWORD).await;
    let mut recepcja = Pusher::new(reception.clone());

    let counted = Utc::now() - Duration::hours(1);
    let mut ours = Facility::new(Uuid::from_u128(1), "Noclegownia", FacilityKind::NightShelter);
    (ours.free_beds, ours.beds_at, ours.logins) = (Some(1), Some(counted), vec!["recepcja".into()]);
    let mut theirs = Facility::new(Uuid::from_u128(2), "Schronisko", FacilityKind::Shelter);
    (theirs.free_beds, theirs.beds_at) = (Some(3), Some(counted));
    let mut silent = Facility::new(Uuid::from_u128(3), "Ogrzewalnia", FacilityKind::WarmingCentre);
    silent.free_beds = None;
    for f in [&ours, &theirs, &silent] {
        assert_eq!(coordinator.push(FACILITIES, f.id, fields_of(f)).await.0, None, "{backend:?}");
    }

    // One bed: the first hold takes it, the second is refused with the facility's name.
    let first = hold(ours.id, 1);
    assert_eq!(ania.push(BED_HOLDS, first.id, fields_of(&first)).await.0, None, "{backend:?}");
    let second = hold(ours.id, 2);
    let (error, message) = ania.push(BED_HOLDS, second.id, fields_of(&second)).await;
    assert_eq!(error.as_deref(), Some("facility_full"), "{backend:?}");
    assert!(message.contains("Noclegownia"), "{message}");
    let elsewhere = hold(theirs.id, 3);
    assert_eq!(ania.push(BED_HOLDS, elsewhere.id, fields_of(&elsewhere)).await.0, None);
    let no_count = hold(silent.id, 4);
    assert_eq!(ania.push(BED_HOLDS, no_count.id, fields_of(&no_count)).await.0.as_deref(), Some("facility_full"));
    let nowhere = hold(Uuid::from_u128(99), 5);
    assert_eq!(ania.push(BED_HOLDS, nowhere.id, fields_of(&nowhere)).await.0.as_deref(), Some("not_found"));
    // A hold already expired holds nothing, so it is not refused as full either way.
    let old = BedHold { held_at: Utc::now() - Duration::hours(3), ..hold(ours.id, 6) };
    assert_eq!(ania.push(BED_HOLDS, old.id, fields_of(&old)).await.0.as_deref(), Some("facility_full"));

    // The reception reads the directory and its own facility's holds only, without the contact.
    let pulled = reception.pull(Uuid::new_v4(), "", 1000).await.expect("pull");
    let mut holds: Vec<&Map<String, Value>> = Vec::new();
    let mut facilities = 0;
    for c in &pulled.changes {
        match c.collection.as_str() {
            BED_HOLDS => holds.push(&c.fields),
            FACILITIES => facilities += 1,
            other => panic!("a facility account pulled {other}"),
        }
    }
    assert_eq!(facilities, 3, "{backend:?}");
    assert_eq!(holds.len(), 1, "{backend:?}: only the hold at its facility: {holds:?}");
    assert_eq!(holds[0]["facility_id"], json!(ours.id));
    assert!(!holds[0].contains_key("contact_id"), "{:?}", holds[0]);
    assert_eq!(holds[0]["needs"]["dog"], json!(true));
    assert_eq!(reception.get("/history?collection=contacts&before=0").await.0, 403);

    // Its own facility's beds and its own holds' answers; nothing else.
    let recount = Utc::now();
    let beds = fields(json!({"free_beds": 2, "beds_at": recount, "name": "Renamed"}));
    assert_eq!(recepcja.push(FACILITIES, ours.id, beds).await.0, None);
    let (error, _) = recepcja.push(FACILITIES, theirs.id, fields(json!({"free_beds": 0}))).await;
    assert_eq!(error.as_deref(), Some("forbidden"));
    let made_up = Facility::new(Uuid::from_u128(7), "Fikcja", FacilityKind::Shelter);
    assert_eq!(recepcja.push(FACILITIES, made_up.id, fields_of(&made_up)).await.0.as_deref(), Some("forbidden"));
    let arrived = fields(json!({"status": "arrived", "status_at": Utc::now() + Duration::seconds(1)}));
    assert_eq!(recepcja.push(BED_HOLDS, first.id, arrived.clone()).await.0, None);
    assert_eq!(recepcja.push(BED_HOLDS, elsewhere.id, arrived).await.0.as_deref(), Some("forbidden"));
    let made_up_hold = hold(ours.id, 8);
    assert_eq!(
        recepcja.push(BED_HOLDS, made_up_hold.id, fields_of(&made_up_hold)).await.0.as_deref(),
        Some("forbidden")
    );

    // The coordinator's phone sees the new count (the name unchanged) and the arrival.
    let seen = coordinator.http.pull(Uuid::new_v4(), "", 1000).await.unwrap();
    let find = |collection: &str, id: Uuid| {
        seen.changes.iter().find(|c| c.collection == collection && c.id == id).unwrap().fields.clone()
    };
    assert_eq!(
        (find(FACILITIES, ours.id)["free_beds"].clone(), find(FACILITIES, ours.id)["name"].clone()),
        (json!(2), json!("Noclegownia"))
    );
    assert_eq!(find(BED_HOLDS, first.id)["status"], "arrived");
    // Two beds counted; the person who arrived after the count has one: one hold more, then full.
    let third = hold(ours.id, 9);
    assert_eq!(ania.push(BED_HOLDS, third.id, fields_of(&third)).await.0, None, "{backend:?}");
    let fourth = hold(ours.id, 10);
    assert_eq!(ania.push(BED_HOLDS, fourth.id, fields_of(&fourth)).await.0.as_deref(), Some("facility_full"));

    // The public list: not shown until the organisation switches it on; then without sign-in,
    // by type, with no beds and no accounts; a bad id is named.
    let org = coordinator.http.get("/me").await.1["org_id"].as_str().unwrap().to_owned();
    let (anonymous, base) = (reqwest::Client::new(), server.url());
    let public = |path: String| {
        let (anonymous, base) = (anonymous.clone(), base.clone());
        async move {
            let r = anonymous.get(format!("{base}/api/v1/public/facilities/{path}")).send().await.unwrap();
            let cache = r.headers().get("cache-control").map(|v| v.to_str().unwrap().to_owned());
            (r.status().as_u16(), cache, r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    assert_eq!(public(org.clone()).await.0, 404, "{backend:?}: not public by default");
    let said = server.admin(&["org", "public-facilities", "--org", "Latarnia"], "");
    assert!(said.contains(&format!("/public/facilities/{org}")), "{said}");
    let (status, cache, list) = public(org.clone()).await;
    assert_eq!((status, cache.as_deref()), (200, Some("public, max-age=300")), "{list}");
    let names: Vec<&str> = list["facilities"].as_array().unwrap().iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["Schronisko", "Noclegownia", "Ogrzewalnia"], "by the register's types");
    let text = list.to_string();
    assert!(!text.contains("free_beds") && !text.contains("recepcja") && !text.contains("logins"), "{text}");
    assert_eq!(public("nope".into()).await.0, 400);
    assert_eq!(public(Uuid::new_v4().to_string()).await.0, 404);
    server.admin(&["org", "public-facilities", "--org", "Latarnia", "--off"], "");
    assert_eq!(public(org).await.0, 404);
}

#[tokio::test(flavor = "multi_thread")]
async fn beds_are_held_and_answered_on_sqlite() {
    holds_on(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn beds_are_held_and_answered_on_postgres() {
    holds_on(Backend::Postgres).await;
}

/// A person asks what the organisation holds about them (GDPR art. 15): the copy lists every
/// contact recorded with their pseudonym (in any case and spacing, one in the trash too), in
/// words, with its place and the bed held from it — and nothing of anyone else. After an erasure
/// it lists nothing.
async fn a_person_s_copy_of_their_data_on(backend: Backend) {
    let Some(url) = backend.fresh_url().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &url, free_addr());
    server.add_user("koordynatorka", "coordinator");
    server.add_user("ania", "streetworker");
    let mut coordinator = Pusher::new(Http::login(&server.url(), "koordynatorka", PASSWORD).await);
    let mut ania = Pusher::new(Http::login(&server.url(), "ania", PASSWORD).await);
    let mut shelter = Facility::new(Uuid::from_u128(1), "Noclegownia św. Brata Alberta", FacilityKind::NightShelter);
    (shelter.free_beds, shelter.beds_at) = (Some(5), Some(Utc::now()));
    assert_eq!(coordinator.push(FACILITIES, shelter.id, fields_of(&shelter)).await.0, None);
    let site = Uuid::new_v4();
    let place = json!({"label": "Altana przy Długiej", "kind": "allotment_shed", "status": "active",
        "position": {"lat": 50.81, "lon": 19.12, "accuracy_m": 5.0}, "address": "", "access_notes": "", "dangers": "",
        "usual_headcount": 1, "created_at": Utc::now(), "merged_into": null});
    assert_eq!(ania.push("sites", site, fields(place)).await.0, None);
    let contact = |pseudonym: &str, notes: &str, at: &str| {
        fields(
            json!({"patrol_id": null, "site_id": site, "at": at, "headcount": 1, "gender": "male", "age_band": "senior",
            "pseudonym": pseudonym, "sleeping_rough": true, "condition": "ill", "given": {"blanket": 2},
            "referrals": [{"kind": "night_shelter", "outcome": "accepted"}], "help_refused": false, "follow_up": true,
            "notes": notes, "position": null, "position_status": "unavailable"}),
        )
    };
    let (first, second, other) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    assert_eq!(
        ania.push("contacts", second, contact("PAN  janek", "kaszle \"mocno\"; śpi sam", "2026-12-02T22:30:00Z"))
            .await
            .0,
        None
    );
    assert_eq!(
        ania.push("contacts", first, contact("Pan Janek", "pierwsze spotkanie", "2026-07-01T20:00:00Z")).await.0,
        None
    );
    assert_eq!(
        ania.push("contacts", other, contact("Pani Ela", "ZnacznikInnejOsoby", "2026-12-01T21:00:00Z")).await.0,
        None
    );
    let mut bed = hold(shelter.id, 1);
    bed.contact_id = Some(second);
    assert_eq!(ania.push(BED_HOLDS, bed.id, fields_of(&bed)).await.0, None);
    // The first one deleted: still in the trash, so still held, so in the copy.
    use latarnia_core::engine::Transport;
    ania.mid += 1;
    let hlc = Hlc { physical_ms: Utc::now().timestamp_millis() as u64 + 1, counter: 0, client: ania.client };
    let delete = Mutation {
        mid: ania.mid,
        collection: "contacts".into(),
        id: first,
        op: Op::Delete,
        hlc: hlc.to_string(),
        fields: Map::new(),
    };
    ania.http
        .push(&PushRequest { client_id: ania.client, schema_version: SCHEMA_VERSION, mutations: vec![delete] })
        .await
        .unwrap();

    let copy = server.admin(&["subject-access", "--org", "Latarnia", "--pseudonym", "pan janek"], "");
    let rows = latarnia_core::csv::read(&copy);
    assert_eq!(rows.len(), 3, "{copy}");
    assert_eq!(rows[0][0], "Kiedy");
    assert_eq!(rows[0][12], "Notatka");
    // Oldest first, the time in Poland (summer time in July, winter time in December).
    assert_eq!(rows[1][0], "2026-07-01 22:00");
    assert_eq!(rows[2][0], "2026-12-02 23:30");
    assert_eq!(rows[2][12], "kaszle \"mocno\"; śpi sam", "quotes survive the CSV");
    assert_eq!(
        rows[2][1..12],
        [
            "Altana przy Długiej",
            "",
            "1",
            "mężczyzna",
            "60+",
            "tak",
            "chory",
            "Koc ×2",
            "Noclegownia: przyjęte",
            "nie",
            "tak"
        ]
    );
    assert!(rows[2][13].starts_with("Noclegownia św. Brata Alberta, 20"), "{copy}");
    assert_eq!((rows[1][14].as_str(), rows[2][14].as_str()), ("tak", ""), "the deleted one is said to be");
    assert!(!copy.contains("ZnacznikInnejOsoby") && !copy.contains("Pani Ela"), "nobody else's: {copy}");
    // For Polish Excel: a byte-order mark and semicolons.
    let excel = server.admin(&["subject-access", "--org", "Latarnia", "--pseudonym", "Pan Janek", "--excel"], "");
    assert!(excel.starts_with('\u{feff}') && excel.contains("Kiedy;Miejsce;"), "{excel}");
    // Erased on request: the pseudonym is gone, so nothing is found by it any more.
    server.admin(&["erase", "--org", "Latarnia", "--pseudonym", "pan janek"], "");
    let after = server.admin(&["subject-access", "--org", "Latarnia", "--pseudonym", "pan janek"], "");
    assert_eq!(latarnia_core::csv::read(&after).len(), 1, "only the header: {after}");
    assert!(server
        .admin_fails(&["subject-access", "--org", "Latarnia", "--pseudonym", "  "])
        .contains("give the pseudonym"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_s_copy_of_their_data_on_sqlite() {
    a_person_s_copy_of_their_data_on(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_s_copy_of_their_data_on_postgres() {
    a_person_s_copy_of_their_data_on(Backend::Postgres).await;
}
