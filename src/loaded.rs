//! A value read asynchronously — from the store or the server — kept as a signal for the
//! views: `None` until the first answer, then the latest answer, kept while a newer read runs
//! (nothing flashes empty). The read runs again whenever a signal it reads before its future
//! changes; an answer overtaken by a newer read is dropped. A `Memo` the read depends on must
//! be read (`get`), not only tracked: the read runs in an effect, and a memo no one has read is
//! never computed, so it never hears that its own sources changed.
//!
//! Leptos's `LocalResource` does the same, but its state machine is generic over each call
//! site's closure and future: about 6 KB of wasm per read, some 200 KB over the app's parts.
//! Here only a boxed closure is made per call site and a small setter per value type; the
//! running of the reads is one copy (decision 133).

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;

use leptos::prelude::*;

type Read<T> = Box<dyn Fn() -> Pin<Box<dyn Future<Output = T>>>>;

pub struct Loaded<T: 'static> {
    value: RwSignal<Option<T>, LocalStorage>,
}

impl<T: 'static> Clone for Loaded<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: 'static> Copy for Loaded<T> {}

impl<T: Clone + 'static> Loaded<T> {
    /// Starts `read` now and again whenever a signal it reads (before its future) changes.
    pub fn new<Fut: Future<Output = T> + 'static>(read: impl Fn() -> Fut + 'static) -> Self {
        Self::boxed(Box::new(move || Box::pin(read())))
    }

    fn boxed(read: Read<T>) -> Self {
        let value = RwSignal::new_local(None);
        let latest = Rc::new(Cell::new(0u64));
        keep_reading(Box::new(move || {
            let answer = read();
            let run = latest.get() + 1;
            latest.set(run);
            let latest = latest.clone();
            Box::pin(async move {
                let answer = answer.await;
                if latest.get() == run {
                    value.try_set(Some(answer));
                }
            })
        }));
        Loaded { value }
    }

    /// The latest answer (tracked: a view reading it is drawn again with the next one).
    pub fn get(&self) -> Option<T> {
        self.value.try_get().flatten()
    }

    pub fn get_untracked(&self) -> Option<T> {
        self.value.try_get_untracked().flatten()
    }
}

/// Runs `next` in an effect (what it reads before its future is tracked) and its future on the
/// page's executor. Not generic: one copy serves every read.
fn keep_reading(next: Box<dyn Fn() -> Pin<Box<dyn Future<Output = ()>>>>) {
    Effect::new(move |_| leptos::task::spawn_local(next()));
}
