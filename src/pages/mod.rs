pub mod contact_form;
pub mod history;
pub mod login;
pub mod not_found;
pub mod patrol;
pub mod patrol_summary;
pub mod settings;
pub mod sync;
