use std::sync::Arc;

use leptos::prelude::*;

use crate::components::store_error::StoreErrorBanner;
use crate::state::StoreResource;
use crate::storage::StoreError;

/// A page's read of the store, drawn one way everywhere: nothing until the first answer, the
/// last content while a newer read runs (a `Loaded` keeps its value until the new one is in,
/// so nothing flashes empty), and a failed read as the one store-error banner, replaced
/// by the content again once a read succeeds.
#[component]
pub fn FromStore<T, F, V>(
    resource: StoreResource<T>,
    /// A whole page's read: a failure is drawn as the page (`<section class="page">`).
    #[prop(optional)]
    page: bool,
    children: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    F: Fn(T) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    drawn(Arc::new(move || resource.get().map(|read| read.map(|value| children(value).into_any()))), page)
}

/// What is drawn, with its type erased: the drawing is compiled once, not once per page.
type Drawn = Arc<dyn Fn() -> Option<Result<AnyView, StoreError>> + Send + Sync>;

fn drawn(read: Drawn, page: bool) -> AnyView {
    (move || {
        read().map(|read| match read {
            Ok(content) => content,
            Err(error) if page => view! { <section class="page"><StoreErrorBanner error/></section> }.into_any(),
            Err(error) => view! { <StoreErrorBanner error/> }.into_any(),
        })
    })
    .into_any()
}
