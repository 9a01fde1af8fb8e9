//! Several server instances on one PostgreSQL behave as one: phones push through both at once
//! while other phones pull incrementally through both; no pull ever skips a change (a skipped
//! change would be missing from the incremental pullers forever).

mod common;

use common::*;
use latarnia_core::{Contact, Op, PositionStatus};
use uuid::Uuid;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_on_one_postgres_never_let_a_pull_skip_a_change() {
    let Some(url) = pg_fresh_db().await else { return };
    let (dir_a, dir_b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = Server::start_with(dir_a.path(), &url, free_addr());
    let b = Server::start_with(dir_b.path(), &url, free_addr());
    assert!(b.first_admin.is_none(), "the second instance finds the first one's admin");
    let (login, password) = a.first_admin.clone().unwrap();
    let mut writers = Vec::new();
    for i in 0..6 {
        a.add_user(&format!("w{i}"), "streetworker");
        let via_a = Http::login(&a.url(), &format!("w{i}"), "password-of-the-test").await;
        let via_b = via_a.via(&b.url());
        writers.push((Phone::new(), via_a, via_b));
    }
    let readers: Vec<(Phone, Http, Http)> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            let via_a = Http::login(&a.url(), &login, &password).await;
            let via_b = via_a.via(&b.url());
            v.push((Phone::new(), via_a, via_b));
        }
        v
    };
    let rounds = 12;
    let write = futures::future::join_all(writers.iter().enumerate().map(|(i, (phone, via_a, via_b))| async move {
        for r in 0..rounds {
            for k in 0..15 {
                let c = Contact::quick(Uuid::nil(), None, chrono::Utc::now(), Err(PositionStatus::Denied));
                let mut f = latarnia_core::protocol::fields_of(&c);
                f.insert("notes".into(), format!("w{i} r{r} k{k}").into());
                phone.edit("contacts", Uuid::new_v4(), Op::Upsert, f);
            }
            let via = if (i + r) % 2 == 0 { via_a } else { via_b };
            phone.sync(via).await.expect("push through either instance");
        }
    }));
    let done = std::cell::Cell::new(false);
    let read = futures::future::join_all(readers.iter().enumerate().map(|(i, (phone, via_a, via_b))| {
        let done = &done;
        async move {
            let mut n = 0usize;
            while !done.get() {
                let via = if (i + n) % 2 == 0 { via_a } else { via_b };
                phone.sync(via).await.expect("pull through either instance");
                n += 1;
            }
            n
        }
    }));
    let (_, pulls) = futures::join!(
        async {
            write.await;
            done.set(true);
        },
        read
    );
    println!("incremental pulls during the pushes: {pulls:?}");
    assert!(pulls.iter().all(|n| *n > 3), "the readers pulled while the writers pushed");
    let admin = Http::login(&a.url(), &login, &password).await;
    let full = server_state(&admin).await;
    assert_eq!(full.len(), 6 * rounds * 15, "every contact once");
    for (phone, via_a, _) in &readers {
        phone.sync(via_a).await.unwrap();
        assert_eq!(phone.state.borrow().records, full, "an incremental reader missed a change");
    }
    for (phone, _, _) in &writers {
        assert!(phone.state.borrow().outbox.is_empty());
    }
}
