fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(latarnia::App);
    // The page's "loading" splash (web/index.html) gives way to the app.
    if let Some(splash) = leptos::prelude::document().get_element_by_id("splash") {
        splash.remove();
    }
}
