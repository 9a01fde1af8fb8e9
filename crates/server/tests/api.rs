//! The sync API through HTTP (the router, as a client sees it): auth, roles, limits, errors.

use std::path::Path;

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use http_body_util::BodyExt;
use latarnia_core::map::MapSettings;
use latarnia_core::sync::{Role, SCHEMA_VERSION};
use latarnia_server::http::static_files::Shell;
use latarnia_server::store::contract::{mutation, patrol_fields};
use latarnia_server::{admin, app, store, AppState};
use serde_json::{json, Value};
use tower::ServiceExt;
use uuid::Uuid;

struct Api {
    state: AppState,
    _tmp: tempfile::TempDir,
}

impl Api {
    async fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let db = store::open(tmp.path(), "").await.unwrap();
        Api { state: AppState::new(db, Shell::load(Path::new("/nonexistent"), MapSettings::default())), _tmp: tmp }
    }

    async fn raw(&self, method: Method, uri: &str, token: Option<&str>, body: Body) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(uri).header(header::CONTENT_TYPE, "application/json");
        if let Some(t) = token {
            req = req.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        let r = app(self.state.clone()).oneshot(req.body(body).unwrap()).await.unwrap();
        let status = r.status();
        let bytes = r.into_body().collect().await.unwrap().to_bytes();
        (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
    }

    async fn call(&self, method: Method, uri: &str, token: Option<&str>, body: Value) -> (StatusCode, Value) {
        let body = if body.is_null() { Body::empty() } else { Body::from(body.to_string()) };
        self.raw(method, uri, token, body).await
    }

    /// A user of `role` in organisation `org` (created when missing); returns the token.
    async fn user(&self, org: &str, role: Role) -> String {
        let db = &self.state.db;
        if db.org_by_name(org).await.unwrap().is_none() {
            db.org_add(org).await.unwrap();
        }
        let login = format!("{}-{}", role.as_str(), Uuid::new_v4().simple());
        let cmd = latarnia_server::config::Command::User(latarnia_server::config::UserCommand::Add {
            org: org.into(),
            login: login.clone(),
            role: role.as_str().into(),
            name: None,
            password_stdin: true,
        });
        admin::run(db, cmd, &mut "correct horse battery\n".as_bytes()).await.unwrap();
        self.login(&login, "correct horse battery").await
    }

    async fn login(&self, login: &str, password: &str) -> String {
        let (s, v) = self
            .call(
                Method::POST,
                "/api/v1/auth/login",
                None,
                json!({"login": login, "password": password, "device_name": "test"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["token"].as_str().unwrap().to_owned()
    }

    async fn push(&self, token: &str, client: Uuid, mutations: Value) -> (StatusCode, Value) {
        self.call(
            Method::POST,
            "/api/v1/sync/push",
            Some(token),
            json!({"client_id": client, "schema_version": 1, "mutations": mutations}),
        )
        .await
    }

    async fn pull(&self, token: &str, client: Uuid, cursor: &str) -> (StatusCode, Value) {
        self.call(
            Method::GET,
            &format!("/api/v1/sync/pull?client_id={client}&cursor={cursor}"),
            Some(token),
            Value::Null,
        )
        .await
    }
}

fn patrol(mid: u64, id: Uuid, client: Uuid, area: &str) -> Value {
    serde_json::to_value(mutation(
        mid,
        id,
        latarnia_core::Op::Upsert,
        1_700_000_000_000 + mid,
        client,
        patrol_fields(area),
    ))
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn every_endpoint_but_login_and_health_needs_a_valid_token() {
    let api = Api::new().await;
    let client = Uuid::new_v4();
    for (m, uri) in [
        (Method::GET, "/api/v1/me".to_string()),
        (Method::POST, "/api/v1/auth/logout".into()),
        (Method::POST, "/api/v1/sync/push".into()),
        (Method::GET, format!("/api/v1/sync/pull?client_id={client}")),
        (Method::GET, format!("/api/v1/audit/patrols/{client}")),
        (Method::GET, "/api/v1/openapi.json".into()),
    ] {
        for token in [None, Some("forged-token")] {
            let (s, v) = api.call(m.clone(), &uri, token, Value::Null).await;
            assert_eq!(s, StatusCode::UNAUTHORIZED, "{m} {uri} with {token:?}");
            assert_eq!(v["error"], "unauthorized");
        }
    }
    assert_eq!(api.call(Method::GET, "/api/v1/health", None, Value::Null).await.0, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread")]
async fn login_me_logout_and_the_same_answer_for_a_wrong_login_or_password() {
    let api = Api::new().await;
    let token = api.user("Sopot", Role::Streetworker).await;
    let (s, me) = api.call(Method::GET, "/api/v1/me", Some(&token), Value::Null).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(me["role"], "streetworker");
    let login = me["login"].as_str().unwrap();
    let wrong_pw =
        api.call(Method::POST, "/api/v1/auth/login", None, json!({"login": login, "password": "nope"})).await;
    let no_user =
        api.call(Method::POST, "/api/v1/auth/login", None, json!({"login": "ghost", "password": "nope"})).await;
    assert_eq!(wrong_pw.0, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_pw, no_user, "nothing tells whether the login exists");
    assert_eq!(
        api.call(Method::POST, "/api/v1/auth/logout", Some(&token), Value::Null).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(api.call(Method::GET, "/api/v1/me", Some(&token), Value::Null).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread")]
async fn disabling_a_user_or_revoking_ends_sessions_at_the_next_request() {
    let api = Api::new().await;
    let token = api.user("Sopot", Role::Streetworker).await;
    let (_, me) = api.call(Method::GET, "/api/v1/me", Some(&token), Value::Null).await;
    let login = me["login"].as_str().unwrap().to_owned();
    let second = api.login(&login, "correct horse battery").await;
    use latarnia_server::config::{Command, TokenCommand, UserCommand};
    let out =
        admin::run(&api.state.db, Command::Token(TokenCommand::Revoke { login: login.clone() }), &mut "".as_bytes())
            .await;
    assert_eq!(out.unwrap(), format!("2 session(s) of {login} ended"));
    // The phone is told its device was withdrawn (it erases what it holds), apart from a
    // session that merely ended.
    let (status, body) = api.call(Method::GET, "/api/v1/me", Some(&second), Value::Null).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("revoked")));
    let pull = api
        .call(Method::GET, &format!("/api/v1/sync/pull?client_id={}", uuid::Uuid::new_v4()), Some(&second), Value::Null)
        .await;
    assert_eq!((pull.0, pull.1["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("revoked")), "a sync too");
    let signed_out = api.login(&login, "correct horse battery").await;
    api.call(Method::POST, "/api/v1/auth/logout", Some(&signed_out), Value::Null).await;
    let (status, body) = api.call(Method::GET, "/api/v1/me", Some(&signed_out), Value::Null).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("unauthorized")));
    let third = api.login(&login, "correct horse battery").await;
    admin::run(&api.state.db, Command::User(UserCommand::Disable { login: login.clone() }), &mut "".as_bytes())
        .await
        .unwrap();
    let (status, body) = api.call(Method::GET, "/api/v1/me", Some(&third), Value::Null).await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::UNAUTHORIZED, Some("revoked")));
    let again = api
        .call(Method::POST, "/api/v1/auth/login", None, json!({"login": login, "password": "correct horse battery"}))
        .await;
    assert_eq!(again.0, StatusCode::UNAUTHORIZED, "a disabled user cannot sign in");
}

#[tokio::test(flavor = "multi_thread")]
async fn login_attempts_are_limited() {
    let api = Api::new().await;
    let mut codes = Vec::new();
    for _ in 0..12 {
        codes
            .push(api.call(Method::POST, "/api/v1/auth/login", None, json!({"login": "ala", "password": "x"})).await.0);
    }
    assert!(codes[..10].iter().all(|s| *s == StatusCode::UNAUTHORIZED), "{codes:?}");
    assert_eq!(codes[10], StatusCode::TOO_MANY_REQUESTS);
    let (_, v) = api.call(Method::POST, "/api/v1/auth/login", None, json!({"login": "ala", "password": "x"})).await;
    assert_eq!(v["error"], "too_many_attempts");
}

#[tokio::test(flavor = "multi_thread")]
async fn limits_schema_version_and_malformed_bodies_are_json_errors() {
    let api = Api::new().await;
    let token = api.user("Sopot", Role::Streetworker).await;
    let client = Uuid::new_v4();
    let big = Body::from(format!(
        r#"{{"client_id":"{client}","schema_version":1,"mutations":[],"pad":"{}"}}"#,
        "x".repeat(1 << 20)
    ));
    let (s, v) = api.raw(Method::POST, "/api/v1/sync/push", Some(&token), big).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("too_large")));
    let many: Vec<Value> = (1..=501).map(|i| patrol(i, Uuid::new_v4(), client, "a")).collect();
    assert_eq!(api.push(&token, client, json!(many)).await.0, StatusCode::PAYLOAD_TOO_LARGE);
    let (s, v) = api
        .call(
            Method::POST,
            "/api/v1/sync/push",
            Some(&token),
            json!({"client_id": client, "schema_version": 2, "mutations": []}),
        )
        .await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::UPGRADE_REQUIRED, Some("upgrade_required")));
    let (s, v) = api.call(Method::POST, "/api/v1/sync/push", Some(&token), json!({"client_id": "nope"})).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(v["error"], "bad_request");
    // Mutations are numbered from 1: a `mid` of 0 is a malformed push, not a "duplicate".
    let zero = patrol(0, Uuid::new_v4(), client, "a");
    let (s, v) = api.push(&token, client, json!([patrol(1, Uuid::new_v4(), client, "a"), zero])).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_request")), "{v}");
    assert!(v["message"].as_str().unwrap().contains("mutations[1].mid"), "{v}");
    // Nor one past what a browser counts exactly (the server's columns are signed 64-bit).
    let past = patrol(latarnia_core::protocol::MAX_MID + 1, Uuid::new_v4(), client, "a");
    let (s, v) = api.push(&token, client, json!([past])).await;
    assert_eq!((s, v["error"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_request")), "{v}");
    assert!(v["message"].as_str().unwrap().contains("mutations[0].mid: must be from 1 to 9007199254740991"), "{v}");
    let (s, v) = api.push(&token, client, json!([patrol(1, Uuid::new_v4(), client, "a")])).await;
    assert_eq!(
        (s, v["last_mutation_id"].as_u64()),
        (StatusCode::OK, Some(1)),
        "nothing of the refused push was applied: {v}"
    );
    let (s, _) = api.call(Method::GET, "/api/v1/sync/pull?client_id=nope", Some(&token), Value::Null).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread")]
async fn push_and_pull_over_http_with_roles_and_organisations() {
    let api = Api::new().await;
    let worker = api.user("Sopot", Role::Streetworker).await;
    let colleague = api.user("Sopot", Role::Coordinator).await;
    let partner = api.user("Sopot", Role::Partner).await;
    let other_org = api.user("Gdynia", Role::Admin).await;
    let (c1, c2, c3, c4) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let id = Uuid::new_v4();
    let (s, v) = api.push(&worker, c1, json!([patrol(1, id, c1, "Dworzec")])).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v, json!({"last_mutation_id": 1, "results": [{"mid": 1, "status": "applied"}]}));
    let (_, again) = api.push(&worker, c1, json!([patrol(1, id, c1, "Dworzec")])).await;
    assert_eq!(again["results"][0]["status"], "duplicate");
    let (s, page) = api.pull(&colleague, c2, "").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(page["changes"].as_array().unwrap().len(), 1);
    assert_eq!(page["changes"][0]["fields"]["area"], "Dworzec");
    assert!(page["changes"][0]["field_hlcs"]["area"].is_string());
    assert_eq!(page["has_more"], false);
    // Nothing new after the cursor.
    let (_, empty) = api.pull(&colleague, c2, page["cursor"].as_str().unwrap()).await;
    assert_eq!(empty["changes"], json!([]));
    // The partner reads no patrols and may not write them.
    assert_eq!(api.pull(&partner, c3, "").await.1["changes"], json!([]));
    let (_, r) = api.push(&partner, c3, json!([patrol(1, Uuid::new_v4(), c3, "x")])).await;
    assert_eq!(
        (r["results"][0]["status"].as_str(), r["results"][0]["error"].as_str()),
        (Some("rejected"), Some("forbidden"))
    );
    // Another organisation sees nothing.
    assert_eq!(api.pull(&other_org, c4, "").await.1["changes"], json!([]));
    // Someone else's client id.
    assert_eq!(api.push(&colleague, c1, json!([patrol(2, Uuid::new_v4(), c1, "x")])).await.0, StatusCode::FORBIDDEN);
    // A cursor of another epoch (a restored server) or an unreadable one: 409 cursor_reset.
    for bad in ["someone-else.5", "garbage"] {
        let (s, v) = api.pull(&colleague, c2, bad).await;
        assert_eq!((s, v["error"].as_str()), (StatusCode::CONFLICT, Some("cursor_reset")));
    }
}

fn site_fields(lat: f64, lon: f64, label: &str) -> serde_json::Map<String, Value> {
    json!({"label": label, "kind": "allotment_shed", "position": {"lat": lat, "lon": lon, "accuracy_m": 12.0},
           "address": "ROD Bursztyn", "access_notes": "", "dangers": "pies", "status": "active",
           "usual_headcount": 2, "created_at": "2026-01-10T22:00:00Z", "merged_into": null})
    .as_object()
    .unwrap()
    .clone()
}

fn op(mid: u64, collection: &str, id: Uuid, op: &str, client: Uuid, fields: serde_json::Map<String, Value>) -> Value {
    json!({"mid": mid, "collection": collection, "id": id, "op": op,
           "hlc": format!("{:013}-0000-{client}", 1_700_000_000_000u64 + mid), "fields": fields})
}

#[tokio::test(flavor = "multi_thread")]
async fn places_and_reports_with_their_roles_and_field_checks() {
    let api = Api::new().await;
    let worker = api.user("Sopot", Role::Streetworker).await;
    let coordinator = api.user("Sopot", Role::Coordinator).await;
    let partner = api.user("Sopot", Role::Partner).await;
    let (cw, cc, cp) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let (place, report) = (Uuid::new_v4(), Uuid::new_v4());
    let statuses = |v: &Value| {
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| (r["status"].as_str().unwrap().to_owned(), r["error"].as_str().map(str::to_owned)))
            .collect::<Vec<_>>()
    };
    // A streetworker maps a place; bad positions, empty labels and unknown types are refused.
    let bad_lat = site_fields(91.0, 18.56, "x");
    let mut bad_type = site_fields(54.44, 18.56, "x");
    bad_type["kind"] = json!("castle");
    let (_, v) = api
        .push(
            &worker,
            cw,
            json!([
                op(1, "sites", place, "upsert", cw, site_fields(54.44, 18.56, "Altanka przy torach")),
                op(2, "sites", Uuid::new_v4(), "upsert", cw, bad_lat),
                op(3, "sites", Uuid::new_v4(), "upsert", cw, site_fields(54.44, 18.56, "  ")),
                op(4, "sites", Uuid::new_v4(), "upsert", cw, bad_type),
            ]),
        )
        .await;
    let got = statuses(&v);
    assert_eq!(got[0].0, "applied");
    assert!(got[1..].iter().all(|(s, e)| s == "rejected" && e.as_deref() == Some("invalid")), "{v}");
    assert!(v["results"][1]["message"].as_str().unwrap().contains("lat"), "{v}");
    // Deleting a place is the coordinator's.
    let (_, v) = api.push(&worker, cw, json!([op(5, "sites", place, "delete", cw, Default::default())])).await;
    assert_eq!(statuses(&v)[0], ("rejected".into(), Some("forbidden".into())));
    // A partner files a report and sees the map, never a contact or a patrol.
    let report_fields = json!({"received_at": "2026-01-11T06:10:00Z", "source": "city_guard", "site_id": place,
        "description": "Dwie osoby w altance", "urgency": "urgent", "status": "new"});
    let (_, v) = api
        .push(&partner, cp, json!([op(1, "reports", report, "upsert", cp, report_fields.as_object().unwrap().clone())]))
        .await;
    assert_eq!(statuses(&v)[0].0, "applied", "{v}");
    let (_, v) = api
        .push(&partner, cp, json!([op(2, "sites", Uuid::new_v4(), "upsert", cp, site_fields(54.0, 18.0, "y"))]))
        .await;
    assert_eq!(statuses(&v)[0], ("rejected".into(), Some("forbidden".into())), "partners read the map");
    api.push(&worker, cw, json!([patrol(6, Uuid::new_v4(), cw, "Dworzec")])).await;
    let (_, page) = api.pull(&partner, cp, "").await;
    let mut seen: Vec<&str> =
        page["changes"].as_array().unwrap().iter().map(|c| c["collection"].as_str().unwrap()).collect();
    seen.sort();
    assert_eq!(seen, ["reports", "sites"]);
    // The coordinator closes the report only with an outcome, and may delete the place.
    let (_, v) = api
        .push(
            &coordinator,
            cc,
            json!([
                op(1, "reports", report, "upsert", cc, json!({"status": "closed"}).as_object().unwrap().clone()),
                op(
                    2,
                    "reports",
                    report,
                    "upsert",
                    cc,
                    json!({"status": "closed", "outcome": "Przewiezieni do noclegowni"}).as_object().unwrap().clone()
                ),
                op(3, "sites", place, "delete", cc, Default::default()),
            ]),
        )
        .await;
    assert_eq!(
        statuses(&v),
        [("rejected".into(), Some("invalid".into())), ("applied".into(), None), ("applied".into(), None)]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_log_is_for_admins_of_the_organisation() {
    let api = Api::new().await;
    let worker = api.user("Sopot", Role::Streetworker).await;
    let admin_t = api.user("Sopot", Role::Admin).await;
    let other = api.user("Gdynia", Role::Admin).await;
    let client = Uuid::new_v4();
    let id = Uuid::new_v4();
    api.push(&worker, client, json!([patrol(1, id, client, "a")])).await;
    let uri = format!("/api/v1/audit/patrols/{id}");
    assert_eq!(api.call(Method::GET, &uri, Some(&worker), Value::Null).await.0, StatusCode::FORBIDDEN);
    let (s, log) = api.call(Method::GET, &uri, Some(&admin_t), Value::Null).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(log.as_array().unwrap().len(), 1);
    assert_eq!(log[0]["status"], "applied");
    assert!(log[0]["fields"].as_array().unwrap().contains(&json!("area")));
    assert!(log[0].get("values").is_none() && !log.to_string().contains("\"a\""), "names, never values");
    assert_eq!(api.call(Method::GET, &uri, Some(&other), Value::Null).await.1, json!([]));
}

#[tokio::test(flavor = "multi_thread")]
async fn first_start_makes_one_admin_who_can_sign_in() {
    let api = Api::new().await;
    let (login, password) = admin::bootstrap(&api.state.db).await.unwrap().expect("an admin on first start");
    assert!(admin::bootstrap(&api.state.db).await.unwrap().is_none(), "only once");
    let token = api.login(&login, &password).await;
    let (_, me) = api.call(Method::GET, "/api/v1/me", Some(&token), Value::Null).await;
    assert_eq!(me["role"], "admin");
    let (s, doc) = api.call(Method::GET, "/api/v1/openapi.json", Some(&token), Value::Null).await;
    assert_eq!(s, StatusCode::OK);
    assert!(doc["paths"]["/api/v1/sync/push"].is_object());
    // The document names every collection the server knows, no more.
    let text = doc.to_string();
    let start = text.find(r#""enum":["patrols""#).expect("the collections enum");
    let listed: Vec<String> =
        serde_json::from_str(&text[start + 7..start + 7 + text[start + 7..].find(']').unwrap() + 1]).unwrap();
    let known: Vec<&str> = latarnia_core::sync::COLLECTIONS.iter().map(|c| c.name).collect();
    assert_eq!(listed, known);
}

/// The API document says what the server does: every endpoint that reads a body or parameters
/// documents its `400`, and the shared wire types carry exactly the fields it requires.
#[tokio::test(flavor = "multi_thread")]
async fn the_api_document_matches_the_wire_types_and_the_answers() {
    let api = Api::new().await;
    let token = api.user("Sopot", Role::Coordinator).await;
    let (_, doc) = api.call(Method::GET, "/api/v1/openapi.json", Some(&token), Value::Null).await;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let takes_input = op.get("parameters").is_some() || op.get("requestBody").is_some();
            if takes_input {
                assert!(op["responses"]["400"].is_object(), "{method} {path} documents its 400");
            }
        }
    }
    let required = |name: &str| -> Vec<String> {
        let mut r: Vec<String> =
            serde_json::from_value(doc["components"]["schemas"][name]["required"].clone()).unwrap();
        r.sort();
        r
    };
    let keys = |v: Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    let error = latarnia_core::sync::ApiError::new("x", "y");
    assert_eq!(required("ApiError"), keys(serde_json::to_value(error).unwrap()));
    let (s, health) = api.call(Method::GET, "/api/v1/health", None, Value::Null).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(required("Health"), keys(health));
    // A push with a mid of 0, which the document forbids, is refused (not "duplicate").
    assert_eq!(doc["components"]["schemas"]["Mutation"]["properties"]["mid"]["minimum"], 1);
    assert_eq!(
        doc["components"]["schemas"]["Mutation"]["properties"]["mid"]["maximum"],
        latarnia_core::protocol::MAX_MID
    );
    // A row of the count's table by age is a pair (age group, people per sex): its items are
    // left untyped, not declared objects the real answer would break.
    let row = &doc["components"]["schemas"]["CountTable"]["properties"]["by_age"]["items"]["items"];
    assert!(row.is_object() && row.get("type").is_none(), "{row}");
    // The push's limits as the document states them are the server's.
    let too_large = doc["paths"]["/api/v1/sync/push"]["post"]["responses"]["413"]["description"].as_str().unwrap();
    let mib = latarnia_core::sync::MAX_PUSH_BYTES >> 20;
    let limits = format!("{} mutations or {mib} MiB", latarnia_core::sync::MAX_PUSH_MUTATIONS);
    assert!(too_large.contains(&limits), "{too_large}");
    let version = &doc["components"]["schemas"]["PushRequest"]["properties"]["schema_version"];
    assert_eq!((&version["minimum"], &version["maximum"]), (&json!(SCHEMA_VERSION), &json!(SCHEMA_VERSION)));
    // Each page size's range is the server's, and past it the answer is a 400 naming the range.
    for (path, max, query) in [
        ("/api/v1/sync/pull", latarnia_core::sync::MAX_PULL_LIMIT, format!("client_id={}", Uuid::new_v4())),
        ("/api/v1/history", latarnia_core::sync::MAX_HISTORY_LIMIT, "collection=contacts&before=0".into()),
        ("/api/v1/access-log", latarnia_server::http::privacy::MAX_ACCESS_LOG_LIMIT, String::new()),
    ] {
        let params = doc["paths"][path]["get"]["parameters"].as_array().unwrap();
        let limit = &params.iter().find(|p| p["name"] == "limit").unwrap()["schema"];
        assert_eq!((&limit["minimum"], &limit["maximum"]), (&json!(1), &json!(max)), "{path}");
        let admin = api.user("Sopot", Role::Admin).await;
        for (n, ok) in [(1, true), (max, true), (0, false), (max + 1, false)] {
            let (s, v) = api.call(Method::GET, &format!("{path}?{query}&limit={n}"), Some(&admin), Value::Null).await;
            if ok {
                assert_eq!(s, StatusCode::OK, "{path} limit={n}: {v}");
            } else {
                assert_eq!(s, StatusCode::BAD_REQUEST, "{path} limit={n}");
                assert_eq!(v["message"], format!("`limit` is from 1 to {max}."), "{path}");
            }
        }
    }
}

/// The document's security says which operations need a session: every other one answers
/// `401` without a token, and those marked public do not.
#[tokio::test(flavor = "multi_thread")]
async fn the_api_document_says_which_operations_need_a_session() {
    let api = Api::new().await;
    let token = api.user("Sopot", Role::Admin).await;
    let (_, doc) = api.call(Method::GET, "/api/v1/openapi.json", Some(&token), Value::Null).await;
    let mut public = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let uri = path
            .replace("{collection}", "patrols")
            .replace("{id}", &Uuid::new_v4().to_string())
            .replace("{org}", &Uuid::new_v4().to_string());
        for (method, op) in ops.as_object().unwrap() {
            let open = op["security"] == json!([{}]);
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let (s, _) = api.call(m, &uri, None, Value::Null).await;
            assert_eq!(s == StatusCode::UNAUTHORIZED, !open, "{method} {path}: {s}");
            if open {
                public.push(format!("{method} {path}"));
            }
        }
    }
    public.sort();
    assert_eq!(
        public,
        ["get /api/v1/config", "get /api/v1/health", "get /api/v1/public/facilities/{org}", "post /api/v1/auth/login"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn admin_commands_refuse_bad_input_clearly() {
    let api = Api::new().await;
    use latarnia_server::config::{Command, OrgCommand, UserCommand};
    let db = &api.state.db;
    admin::run(db, Command::Org(OrgCommand::Add { name: "Sopot".into() }), &mut "".as_bytes()).await.unwrap();
    let dup = admin::run(db, Command::Org(OrgCommand::Add { name: "Sopot".into() }), &mut "".as_bytes()).await;
    assert!(dup.unwrap_err().contains("already exists"));
    let add = |role: &str, org: &str, login: &str| {
        Command::User(UserCommand::Add {
            org: org.into(),
            login: login.into(),
            role: role.into(),
            name: None,
            password_stdin: false,
        })
    };
    assert!(admin::run(db, add("captain", "Sopot", "x"), &mut "".as_bytes())
        .await
        .unwrap_err()
        .contains("unknown role"));
    assert!(admin::run(db, add("admin", "Nowhere", "x"), &mut "".as_bytes())
        .await
        .unwrap_err()
        .contains("no organisation"));
    let out = admin::run(db, add("coordinator", "Sopot", "kasia"), &mut "".as_bytes()).await.unwrap();
    let password = out.rsplit("password: ").next().unwrap();
    assert_eq!(password.len(), 20, "a generated password is printed: {out}");
    api.login("kasia", password).await;
    assert!(admin::run(db, add("admin", "Sopot", "kasia"), &mut "".as_bytes()).await.unwrap_err().contains("taken"));
    let short = Command::User(UserCommand::Add {
        org: "Sopot".into(),
        login: "ola".into(),
        role: "partner".into(),
        name: None,
        password_stdin: true,
    });
    assert!(admin::run(db, short, &mut "short\n".as_bytes()).await.unwrap_err().contains("at least 10"));
    let list = admin::run(db, Command::User(UserCommand::List { org: Some("Sopot".into()) }), &mut "".as_bytes()).await;
    assert_eq!(list.unwrap(), "kasia\tcoordinator\tkasia\tactive");
}

#[tokio::test(flavor = "multi_thread")]
async fn akcja_zima_the_coordinator_declares_the_night_and_the_team_records_stops() {
    let api = Api::new().await;
    let worker = api.user("Częstochowa", Role::Streetworker).await;
    let coordinator = api.user("Częstochowa", Role::Coordinator).await;
    let partner = api.user("Częstochowa", Role::Partner).await;
    let (cw, cc, cp) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let night = latarnia_core::Forecast::id_for(chrono::NaiveDate::from_ymd_opt(2026, 1, 14).unwrap());
    let forecast = |t: f64| json!({"date": "2026-01-14", "min_c": t}).as_object().unwrap().clone();
    let results = |v: &Value| {
        v["results"].as_array().unwrap().iter().map(|r| r["error"].as_str().map(str::to_owned)).collect::<Vec<_>>()
    };
    // Only a coordinator declares the night; a typing mistake is refused.
    let (_, v) = api.push(&worker, cw, json!([op(1, "forecasts", night, "upsert", cw, forecast(-14.0))])).await;
    assert_eq!(results(&v), [Some("forbidden".to_owned())]);
    let (_, v) = api
        .push(
            &coordinator,
            cc,
            json!([
                op(1, "forecasts", night, "upsert", cc, forecast(-140.0)),
                op(2, "forecasts", night, "upsert", cc, forecast(-14.0)),
            ]),
        )
        .await;
    assert_eq!(results(&v), [Some("invalid".to_owned()), None], "{v}");
    // The team records a stop; a skipped stop needs its reason.
    let run = Uuid::new_v4();
    let stop = |status: &str, reason: &str| {
        json!({"run_id": run, "seq": 1, "label": "Altanki ROD", "position": {"lat": 50.8, "lon": 19.1, "accuracy_m": 0.0},
               "status": status, "skip_reason": reason}).as_object().unwrap().clone()
    };
    let (_, v) = api
        .push(
            &worker,
            cw,
            json!([
                op(2, "meal_run_stops", Uuid::new_v4(), "upsert", cw, stop("skipped", "")),
                op(3, "meal_run_stops", Uuid::new_v4(), "upsert", cw, stop("skipped", "Brama zamknięta")),
            ]),
        )
        .await;
    assert_eq!(results(&v), [Some("invalid".to_owned()), None], "{v}");
    // Every device sees the night (the banner); partners never see runs or stops.
    let (_, page) = api.pull(&partner, cp, "").await;
    let seen: Vec<&str> =
        page["changes"].as_array().unwrap().iter().map(|c| c["collection"].as_str().unwrap()).collect();
    assert_eq!(seen, ["forecasts"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_sign_in_with_a_client_id_gets_that_phones_recovery_key_until_the_phone_is_withdrawn() {
    let api = Api::new().await;
    let token = api.user("Gdynia", Role::Streetworker).await;
    let (_, me) = api.call(Method::GET, "/api/v1/me", Some(&token), Value::Null).await;
    let login = me["login"].as_str().unwrap().to_owned();
    let (phone, other) = (uuid::Uuid::new_v4(), uuid::Uuid::new_v4());
    let sign_in = |client: Option<uuid::Uuid>| {
        let body = json!({"login": login, "password": "correct horse battery", "client_id": client});
        let api = &api;
        async move {
            let (status, body) = api.call(Method::POST, "/api/v1/auth/login", None, body).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            body["device_key"].as_str().map(str::to_owned)
        }
    };
    let first = sign_in(Some(phone)).await.expect("a recovery key");
    assert!(first.len() == 64 && first.chars().all(|c| c.is_ascii_hexdigit()), "{first}");
    assert_eq!(sign_in(Some(phone)).await.as_deref(), Some(first.as_str()), "the same phone, the same key");
    assert_ne!(sign_in(Some(other)).await.as_deref(), Some(first.as_str()), "another phone, another key");
    assert_eq!(sign_in(None).await, None, "an older app asks for none");
    use latarnia_server::config::{Command, TokenCommand};
    admin::run(&api.state.db, Command::Token(TokenCommand::Revoke { login: login.clone() }), &mut "".as_bytes())
        .await
        .unwrap();
    assert_ne!(sign_in(Some(phone)).await.as_deref(), Some(first.as_str()), "a withdrawn phone's key is gone");
}

/// The field-sized window over HTTP: a phone asking for it gets the last N days of its role and
/// what is open, and what the window was; an old app asking nothing gets everything; the rest
/// is read through `/history`, which refuses a role the collection is hidden from and a
/// collection with no history.
#[tokio::test(flavor = "multi_thread")]
async fn a_phone_asking_for_its_window_gets_it_and_reads_the_rest_online() {
    use latarnia_server::config::{Command, OrgCommand};
    let api = Api::new().await;
    let token = api.user("Okno", Role::Streetworker).await;
    let set = |days| Command::Org(OrgCommand::Window { org: "Okno".into(), role: "streetworker".into(), days });
    let out = admin::run(&api.state.db, set(7), &mut "".as_bytes()).await.unwrap();
    assert!(out.contains("last 7 days"), "{out}");
    assert!(admin::run(&api.state.db, set(99_999), &mut "".as_bytes()).await.is_err(), "bounded");
    let client = Uuid::new_v4();
    let day = 86_400_000i64;
    let now = chrono::Utc::now().timestamp_millis();
    let contact = |mid: u64, days_ago: i64| {
        let c = latarnia_core::fixture::sopot_summer_2021().contacts[0].clone();
        let mut f = latarnia_core::protocol::fields_of(&c);
        let at = chrono::DateTime::from_timestamp_millis(now - days_ago * day).unwrap();
        f.insert("at".into(), json!(at));
        f.insert("patrol_id".into(), Value::Null);
        json!({"mid": mid, "collection": "contacts", "id": Uuid::new_v4(), "op": "upsert",
               "hlc": latarnia_core::Hlc { physical_ms: now as u64, counter: mid as u16, client }.to_string(),
               "fields": f})
    };
    let (s, v) = api.push(&token, client, json!([contact(1, 2), contact(2, 20), contact(3, 40)])).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, page) = api
        .call(Method::GET, &format!("/api/v1/sync/pull?client_id={client}&window=true"), Some(&token), Value::Null)
        .await;
    assert_eq!(s, StatusCode::OK, "{page}");
    assert_eq!(page["changes"].as_array().unwrap().len(), 1, "only the last 7 days: {page}");
    assert_eq!(page["window"]["days"], 7);
    let from = page["window"]["from_ms"].as_i64().unwrap();
    assert!((now - 7 * day - from).abs() < 60_000, "{from}");
    let (_, all) = api.pull(&token, client, "").await;
    assert_eq!(all["changes"].as_array().unwrap().len(), 3, "an app that asks for no window gets everything");
    assert!(all.get("window").is_none());

    let history = |q: String| {
        let (api, token) = (&api, &token);
        async move { api.call(Method::GET, &format!("/api/v1/history?{q}"), Some(token), Value::Null).await }
    };
    let (s, older) = history(format!("collection=contacts&before={from}&limit=1")).await;
    assert_eq!(s, StatusCode::OK, "{older}");
    assert_eq!((older["changes"].as_array().unwrap().len(), older["has_more"].as_bool()), (1, Some(true)));
    let (s, e) = history(format!("collection=sites&before={from}")).await;
    assert_eq!((s, e["error"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_request")), "{e}");
    let (s, _) = history("collection=contacts&before=soon".into()).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let partner = api.user("Okno", Role::Partner).await;
    let (s, _) = api
        .call(Method::GET, &format!("/api/v1/history?collection=contacts&before={now}"), Some(&partner), Value::Null)
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "partners never read contacts");
}
