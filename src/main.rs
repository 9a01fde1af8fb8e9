fn main() {
    console_error_panic_hook::set_once();
    // The database opens while the first screen is made.
    latarnia::session::open_early();
    // A phone set to English waits for the English texts' part (from the service worker's
    // cache) before drawing, so no screen flashes Polish first. (wasm-bindgen's executor:
    // Leptos's starts with the mount.)
    wasm_bindgen_futures::spawn_local(async {
        latarnia::i18n::load(latarnia::i18n::preferred()).await;
        start();
    });
}

fn start() {
    leptos::mount::mount_to_body(latarnia::App);
    // The page's "loading" splash (web/index.html) gives way to the app, and so do its own
    // sign-in form and lock screen where they were not shown (boot.js); a shown one is taken
    // over by the app's screen.
    let doc = leptos::prelude::document();
    let start = latarnia::platform::start_screen();
    let parts = [
        ("splash", false),
        ("start-failed", false),
        ("sign-in-shell", start == "sign-in"),
        ("lock-shell", start == "lock"),
    ];
    for (id, shown) in parts {
        if let Some(el) = doc.get_element_by_id(id).filter(|_| !shown) {
            el.remove();
        }
    }
}
