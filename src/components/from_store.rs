use leptos::prelude::*;

use crate::components::store_error::StoreErrorBanner;
use crate::state::StoreResource;
use crate::storage::StoreError;

/// A page's read of the store, drawn one way everywhere: nothing until the first answer, the
/// last content while a newer read runs (`Transition`), and a failed read as the one store-error
/// banner (`ErrorBoundary`), replaced by the content again once a read succeeds.
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
    view! {
        <Transition>
            <ErrorBoundary fallback=move |errors| view! { <StoreErrors errors page/> }>
                {move || resource.get().map(|read| read.map(|value| children(value).into_any()))}
            </ErrorBoundary>
        </Transition>
    }
}

/// The banner for the errors caught: the store's in the user's language, anything else as a
/// storage failure.
#[component]
fn StoreErrors(errors: ArcRwSignal<Errors>, page: bool) -> impl IntoView {
    let banners = move || {
        errors
            .get()
            .into_iter()
            .map(|(_, e)| {
                let error =
                    e.downcast_ref::<StoreError>().cloned().unwrap_or_else(|| StoreError::Failed(e.to_string()));
                view! { <StoreErrorBanner error/> }
            })
            .collect_view()
    };
    if page {
        view! { <section class="page">{banners}</section> }.into_any()
    } else {
        banners.into_any()
    }
}
