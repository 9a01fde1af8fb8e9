//! `GET /api/v1/counts/{id}/table` against the real server over HTTP, on SQLite and on
//! PostgreSQL: a count and its questionnaires pushed through the sync API as the teams' phones
//! would give the table the coordinator's phone computes offline (`core::count::table`), with
//! double counts, deleted questionnaires and another count's people left out; who may ask; a
//! bad id gets a clear answer; an oversized questionnaire is refused at the push.

mod common;

use common::*;
use latarnia_core::count::{table, Answer, CountPerson, ALREADY_COUNTED};
use latarnia_core::fixture::count_example;
use latarnia_core::protocol::{fields_of, COUNTS, COUNT_PEOPLE, COUNT_VISITS};
use latarnia_core::sync::{PushRequest, SCHEMA_VERSION};
use latarnia_core::{Hlc, Mutation, Op};
use uuid::Uuid;

const PASSWORD: &str = "password-of-the-test";

async fn count_on(backend: Backend) {
    use latarnia_core::engine::Transport;
    let Some(url) = backend.fresh_url().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let server = Server::start_with(dir.path(), &url, free_addr());
    server.add_user("koordynatorka", "coordinator");
    server.add_user("ania", "streetworker");
    server.add_user("straz", "partner");
    let coordinator = Http::login(&server.url(), "koordynatorka", PASSWORD).await;
    let ania = Http::login(&server.url(), "ania", PASSWORD).await;
    let ex = count_example();
    let client = Uuid::new_v4();
    let hlc = |n: u64| Hlc { physical_ms: 1_770_000_000_000 + n, counter: 0, client }.to_string();
    let upsert = |mid: u64, collection: &str, id: Uuid, fields| Mutation {
        mid,
        collection: collection.into(),
        id,
        op: Op::Upsert,
        hlc: hlc(mid),
        fields,
    };
    let mut twice = ex.person.clone();
    twice.id = Uuid::from_u128(0xD1);
    twice.answers.insert(ALREADY_COUNTED.into(), Answer::YesNo(false));
    let mut double = ex.person.clone();
    double.id = Uuid::from_u128(0xD2);
    double.answers.insert(ALREADY_COUNTED.into(), Answer::YesNo(true));
    let mut other_count = ex.person.clone();
    other_count.id = Uuid::from_u128(0xD3);
    other_count.count_id = Uuid::from_u128(0xD4);
    let mut deleted = ex.person.clone();
    deleted.id = Uuid::from_u128(0xD5);
    let mut observed = ex.person.clone();
    observed.id = Uuid::from_u128(0xD6);
    observed.observed = true;
    let people = [&ex.person, &twice, &double, &other_count, &deleted, &observed];
    let mut mutations = vec![upsert(1, COUNTS, ex.count.id, fields_of(&ex.count))];
    for (n, p) in people.iter().enumerate() {
        mutations.push(upsert(2 + n as u64, COUNT_PEOPLE, p.id, fields_of(p)));
    }
    mutations.push(upsert(8, COUNT_VISITS, ex.visit.id, fields_of(&ex.visit)));
    mutations.push(Mutation {
        op: Op::Delete,
        fields: Default::default(),
        ..upsert(9, COUNT_PEOPLE, deleted.id, Default::default())
    });
    // A questionnaire stuffed with 100,000 answers is refused, and alone.
    let mut stuffed = ex.person.clone();
    stuffed.id = Uuid::from_u128(0xD7);
    stuffed.answers.insert("reasons".into(), Answer::Many((0..100_000).map(|i| format!("c{i}")).collect()));
    mutations.push(upsert(10, COUNT_PEOPLE, stuffed.id, fields_of(&stuffed)));
    let req = PushRequest { client_id: client, schema_version: SCHEMA_VERSION, mutations };
    let r = ania.push(&req).await.expect("push");
    let refused: Vec<_> = r.results.iter().filter(|m| m.error.is_some()).map(|m| m.mid).collect();
    // The streetworker's phone may not write the count itself (the coordinator's); the rest lands.
    assert_eq!(refused, [1, 10], "{backend:?}: {:?}", r.results);
    let req = PushRequest {
        client_id: Uuid::new_v4(),
        schema_version: SCHEMA_VERSION,
        mutations: vec![upsert(1, COUNTS, ex.count.id, fields_of(&ex.count))],
    };
    let r = coordinator.push(&req).await.expect("push");
    assert!(r.results[0].error.is_none(), "{:?}", r.results);

    let (status, answer) = coordinator.get(&format!("/counts/{}/table", ex.count.id)).await;
    assert_eq!(status, 200, "{answer}");
    // The same table the coordinator's phone sums from the same live questionnaires.
    let live: Vec<CountPerson> = [&ex.person, &twice, &double, &observed].into_iter().cloned().collect();
    let local = table(&ex.count.questionnaire, &live);
    assert_eq!((local.people, local.interviewed, local.observed, local.double_counts), (3, 2, 1, 1));
    assert_eq!(answer["table"], serde_json::to_value(&local).unwrap(), "{backend:?}");
    assert_eq!(answer["name"], "Badanie 2026");

    assert_eq!(ania.get(&format!("/counts/{}/table", ex.count.id)).await.0, 403);
    let straz = Http::login(&server.url(), "straz", PASSWORD).await;
    assert_eq!(straz.get(&format!("/counts/{}/table", ex.count.id)).await.0, 403);
    let (status, body) = coordinator.get("/counts/nope/table").await;
    assert_eq!((status, body["error"].as_str()), (400, Some("bad_request")), "{body}");
    assert_eq!(coordinator.get(&format!("/counts/{}/table", Uuid::from_u128(0xD4))).await.0, 404);
    assert_eq!(coordinator.with_token("forged").get(&format!("/counts/{}/table", ex.count.id)).await.0, 401);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_count_s_table_on_the_server_is_the_phone_s_on_sqlite() {
    count_on(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_count_s_table_on_the_server_is_the_phone_s_on_postgres() {
    count_on(Backend::Postgres).await;
}
