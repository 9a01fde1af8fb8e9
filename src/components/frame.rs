use leptos::prelude::*;

use crate::components::{status_bar::StatusBar, toast::Toast};

/// The app's frame around a screen: at the top the status bar (online or not, what waits to be
/// sent) and what the signed-in app adds under it (`bars`), scrolling away with the page; the
/// screen; the toast. The first screens (sign-in, lock, setting the PIN) and the signed-in app
/// (`SignedInApp`, with its router and navigation) are drawn in it.
#[component]
pub fn Frame(#[prop(optional, into)] bars: ViewFn, children: Children) -> impl IntoView {
    view! {
        <div class="top-bars">
            <StatusBar/>
            {bars.run()}
        </div>
        <main id="main">{children()}</main>
        <Toast/>
    }
}
