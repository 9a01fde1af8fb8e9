pub mod contact_item;
pub mod field_error;
pub mod nav;
pub mod status_bar;
pub mod stepper;
pub mod store_error;
pub mod summary_table;
pub mod toast;
