//! What only this phone holds, on its disk within a second (decision 135).
//!
//! Chromium commits an IndexedDB transaction with "relaxed" durability unless asked otherwise:
//! its changes are handed to the operating system, which writes them to the disk when it
//! chooses (on Android, up to half a minute later). A browser that is killed loses nothing of
//! them, but a phone that switches off at once — a battery in the frost of an Akcja ZIMA run —
//! can lose the contacts saved just before. Asking every write to wait for the disk would make
//! each save wait for the phone's flash; instead, at most a second after a write whose only copy
//! is on this phone, one small transaction with "strict" durability is committed, and its
//! flush to the disk takes every write before it along (the browser's store keeps one log).
//!
//! rexie cannot ask for a transaction's durability, so this is a second connection of its own
//! to the same database, closed as soon as anything opens the database at a new version or
//! deletes it (an upgrade, a wipe), and never the one to create it.

use std::cell::{Cell, RefCell};

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{IdbDatabase, IdbOpenDbRequest};

/// How long after a write its flush waits: the writes of one second share one flush.
pub const FLUSH_AFTER_MS: i32 = 1_000;

/// The `meta` record each flush writes: when, and the durability the browser gave it.
pub const FLUSHED_KEY: &str = "flushed";

thread_local! {
    /// The databases with a flush waiting (the app has one; the browser tests many).
    static PENDING: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
    static CONNECTION: RefCell<Option<(String, IdbDatabase)>> = const { RefCell::new(None) };
    static LISTENING: Cell<bool> = const { Cell::new(false) };
}

/// A flush of the database `name` within [`FLUSH_AFTER_MS`], unless one is already waiting;
/// at once if the page is hidden or left meanwhile (the phone put in a pocket: a hidden page's
/// timers may wait, or the page be frozen).
pub fn soon(name: String) {
    if PENDING.with(|p| p.borrow().contains(&name)) {
        return;
    }
    LISTENING.with(|l| {
        if !l.replace(true) {
            listen();
        }
    });
    let run = Closure::once_into_js({
        let name = name.clone();
        move || {
            if take(&name) {
                flush(&name);
            }
        }
    });
    let timer = web_sys::window()
        .map(|w| w.set_timeout_with_callback_and_timeout_and_arguments_0(run.unchecked_ref(), FLUSH_AFTER_MS));
    if matches!(timer, Some(Ok(_))) {
        PENDING.with(|p| p.borrow_mut().push(name));
    }
}

/// Whether a flush of `name` was waiting (it is not any more).
fn take(name: &str) -> bool {
    PENDING.with(|p| {
        let mut p = p.borrow_mut();
        let had = p.iter().any(|n| n == name);
        p.retain(|n| n != name);
        had
    })
}

/// Every waiting flush at once when the page's visibility changes or the page is left.
fn listen() {
    let Some(window) = web_sys::window() else { return };
    let now = Closure::<dyn Fn()>::new(|| {
        for name in PENDING.with(|p| std::mem::take(&mut *p.borrow_mut())) {
            flush(&name);
        }
    })
    .into_js_value();
    if let Some(doc) = window.document() {
        let _ = doc.add_event_listener_with_callback("visibilitychange", now.unchecked_ref());
    }
    let _ = window.add_event_listener_with_callback("pagehide", now.unchecked_ref());
}

/// Best effort: a flush that cannot run leaves the writes as the browser committed them.
fn flush(name: &str) {
    let open = CONNECTION.with(|c| c.borrow().as_ref().filter(|(n, _)| n == name).map(|(_, db)| db.clone()));
    match open {
        Some(db) => mark_or_forget(&db),
        None => connect(name),
    }
}

fn connect(name: &str) {
    let Some(factory) = web_sys::window().and_then(|w| w.indexed_db().ok().flatten()) else { return };
    let Ok(request) = factory.open(name) else { return };
    // No database (wiped, or never made): this connection must not create an empty one.
    let upgrade = Closure::once_into_js({
        let request = request.clone();
        move || {
            if let Some(tx) = request.transaction() {
                let _ = tx.abort();
            }
        }
    });
    request.set_onupgradeneeded(Some(upgrade.unchecked_ref()));
    let opened = Closure::once_into_js({
        let (request, name) = (request.clone(), name.to_owned());
        move || opened(&request, name)
    });
    request.set_onsuccess(Some(opened.unchecked_ref()));
}

fn opened(request: &IdbOpenDbRequest, name: String) {
    let Ok(db) = request.result().map(JsCast::unchecked_into::<IdbDatabase>) else { return };
    // Someone opens it at a new version or deletes it: this connection steps aside at once.
    let step_aside = Closure::<dyn Fn()>::new({
        let db = db.clone();
        move || forget(&db)
    })
    .into_js_value();
    db.set_onversionchange(Some(step_aside.unchecked_ref()));
    if let Some((_, other)) = CONNECTION.with(|c| c.borrow_mut().replace((name, db.clone()))) {
        other.close();
    }
    mark_or_forget(&db);
}

/// The marker written, or the connection let go when it cannot be (closing, gone): the next
/// flush opens a new one.
fn mark_or_forget(db: &IdbDatabase) {
    if write_marker(db).is_err() {
        forget(db);
    }
}

fn forget(db: &IdbDatabase) {
    db.close();
    CONNECTION.with(|c| c.borrow_mut().take());
}

/// One `meta` record written in a transaction with strict durability (asked through the
/// options argument, which web-sys offers only among its unstable APIs).
fn write_marker(db: &IdbDatabase) -> Result<(), JsValue> {
    use js_sys::{Function, Object, Reflect};
    let options = Object::new();
    Reflect::set(&options, &"durability".into(), &"strict".into())?;
    let transaction: Function = Reflect::get(db, &"transaction".into())?.dyn_into()?;
    let tx: web_sys::IdbTransaction =
        transaction.call3(db, &super::META.into(), &"readwrite".into(), &options)?.dyn_into()?;
    let marker = Object::new();
    Reflect::set(&marker, &"key".into(), &FLUSHED_KEY.into())?;
    Reflect::set(&marker, &"at".into(), &js_sys::Date::now().into())?;
    Reflect::set(&marker, &"durability".into(), &Reflect::get(&tx, &"durability".into())?)?;
    tx.object_store(super::META)?.put(&marker)?;
    Ok(())
}
