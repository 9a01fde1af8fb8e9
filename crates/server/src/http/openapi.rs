//! `GET /openapi.json`: the machine-readable twin of `docs/protocol.md`, generated from the
//! wire types in `latarnia_core` and the handlers' `#[utoipa::path]` attributes, so it cannot
//! drift from what the server reads and answers.

use axum::routing::get;
use axum::Router;
use latarnia_core::sync::{ApiError, COLLECTIONS};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, RefOr, Schema};
use utoipa::{Modify, OpenApi};

use super::{audit, auth, counts, health, history, indicators, map_config, privacy, public, sync};
use crate::auth::Authed;
use crate::AppState;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Latarnia sync API",
        description = "Sync protocol (docs/protocol.md): prose, field tables and the role table are there.",
    ),
    paths(
        health::health,
        map_config::config,
        auth::login,
        auth::logout,
        auth::me,
        sync::push,
        sync::pull,
        history::history,
        audit::audit,
        indicators::indicators,
        counts::count_table,
        privacy::access_log,
        privacy::erasure,
        public::public_facilities,
        openapi,
    ),
    components(schemas(ApiError)),
    security(("bearer" = [])),
    modifiers(&Shared),
)]
struct ApiDoc;

/// What every operation shares: the bearer scheme, the error body on every error answer, the
/// protocol's version, and the collections the server knows.
struct Shared;

impl Modify for Shared {
    fn modify(&self, doc: &mut Document) {
        doc.info.version = latarnia_core::sync::SCHEMA_VERSION.to_string();
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // A pull sends only the collections the server knows; a push may name another, and
        // that mutation alone is answered `rejected` (`unknown_collection`).
        if let Some(RefOr::T(Schema::Object(change))) = components.schemas.get_mut("Change") {
            if let Some(RefOr::T(Schema::Object(collection))) = change.properties.get_mut("collection") {
                collection.enum_values = Some(COLLECTIONS.iter().map(|c| c.name.into()).collect());
            }
        }
        // A push speaks exactly this protocol version (another is answered `426`).
        if let Some(RefOr::T(Schema::Object(push))) = components.schemas.get_mut("PushRequest") {
            if let Some(RefOr::T(Schema::Object(version))) = push.properties.get_mut("schema_version") {
                let v = latarnia_core::sync::SCHEMA_VERSION;
                version.minimum = Some(v.into());
                version.maximum = Some(v.into());
            }
        }
        let error =
            ContentBuilder::new().schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name("ApiError")))).build();
        for item in doc.paths.paths.values_mut() {
            for op in [&mut item.get, &mut item.post].into_iter().flatten() {
                for (status, response) in op.responses.responses.iter_mut() {
                    if let (true, RefOr::T(response)) = (status.as_str() >= "400", response) {
                        response.content.entry("application/json".into()).or_insert_with(|| RefOr::T(error.clone()));
                    }
                }
            }
        }
        // The handlers name their paths inside the `/api/v1` nest.
        let paths = std::mem::take(&mut doc.paths.paths);
        doc.paths.paths = paths.into_iter().map(|(path, item)| (format!("/api/v1{path}"), item)).collect();
    }
}

/// The document, as served.
pub fn document() -> Document {
    ApiDoc::openapi()
}

pub fn router() -> Router<AppState> {
    Router::new().route("/openapi.json", get(openapi))
}

/// This document.
#[utoipa::path(get, path = "/openapi.json",
    responses(
        (status = 200, description = "The OpenAPI document", content_type = "application/json", body = Object),
        (status = 401, description = "No valid session"),
    ))]
pub async fn openapi(_authed: Authed) -> Result<axum::response::Response, crate::error::AppError> {
    use axum::response::IntoResponse as _;
    // Built and written once per process: the document depends on the code alone. Should it
    // ever fail to serialise, every request says so (an error logged, a 500), never an empty
    // document.
    static JSON: std::sync::OnceLock<Result<axum::body::Bytes, String>> = std::sync::OnceLock::new();
    let body = JSON.get_or_init(|| serde_json::to_vec(&document()).map(Into::into).map_err(|e| e.to_string()));
    match body {
        Ok(body) => Ok(([(axum::http::header::CONTENT_TYPE, "application/json")], body.clone()).into_response()),
        Err(e) => Err(crate::error::AppError::Internal(format!("the OpenAPI document: {e}"))),
    }
}
