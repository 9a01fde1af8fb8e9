//! The map's tile server: an operator's setting (`--tile-url`, `--tile-attribution`), given
//! to the app at `GET /api/v1/config` and allowed by the CSP — that one origin and no other.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::AppState;

pub const OSM_TILES: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
pub const OSM_ATTRIBUTION: &str = "&copy; <a href=\"https://www.openstreetmap.org/copyright\">OpenStreetMap</a>";

/// Where map tiles come from, and the credit their licence asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MapTiles {
    pub tile_url: String,
    pub tile_attribution: String,
}

impl Default for MapTiles {
    fn default() -> Self {
        MapTiles { tile_url: OSM_TILES.into(), tile_attribution: OSM_ATTRIBUTION.into() }
    }
}

impl MapTiles {
    /// Checks a tile address template: `http(s)://host/…{z}…{x}…{y}…`, `{s}` allowed in the host
    /// for sub-domains. The error says what is wrong, for the operator.
    pub fn new(tile_url: &str, tile_attribution: &str) -> Result<MapTiles, String> {
        let t = MapTiles { tile_url: tile_url.trim().into(), tile_attribution: tile_attribution.trim().into() };
        t.origin()?;
        for part in ["{z}", "{x}", "{y}"] {
            if !t.tile_url.contains(part) {
                return Err(format!("the tile URL must contain {part}: {}", t.tile_url));
            }
        }
        Ok(t)
    }

    /// The origin the CSP allows: `https://tile.openstreetmap.org`, `https://*.example.org`
    /// for a `{s}` sub-domain template.
    pub fn origin(&self) -> Result<String, String> {
        let url = &self.tile_url;
        let bad = || format!("the tile URL must be http(s)://host/…: {url}");
        let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
        if scheme != "https" && scheme != "http" {
            return Err(bad());
        }
        let host = rest.split('/').next().unwrap_or("").replace("{s}", "*");
        let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '*' | '[' | ']');
        if host.is_empty() || !host.chars().all(allowed) {
            return Err(bad());
        }
        Ok(format!("{scheme}://{host}"))
    }
}

pub fn router() -> Router<AppState> {
    Router::new().route("/config", get(config))
}

/// `GET /api/v1/config`: what the app needs to draw the map (no sign-in: nothing private).
async fn config(State(state): State<AppState>) -> Json<MapTiles> {
    Json(state.shell.tiles.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csp_origin_of_a_tile_template() {
        assert_eq!(MapTiles::default().origin().unwrap(), "https://tile.openstreetmap.org");
        let sub = MapTiles::new("https://{s}.tiles.example.org/osm/{z}/{x}/{y}.png", "x").unwrap();
        assert_eq!(sub.origin().unwrap(), "https://*.tiles.example.org");
        let local = MapTiles::new("http://127.0.0.1:9/{z}/{x}/{y}.png", "x").unwrap();
        assert_eq!(local.origin().unwrap(), "http://127.0.0.1:9");
    }

    #[test]
    fn bad_tile_templates_are_refused_with_the_reason() {
        assert!(MapTiles::new("ftp://x.org/{z}/{x}/{y}.png", "").unwrap_err().contains("http(s)"));
        assert!(MapTiles::new("https://x.org/tiles.png", "").unwrap_err().contains("{z}"));
        assert!(MapTiles::new("https://x.org; script-src *//{z}/{x}/{y}", "").is_err(), "no CSP injection");
        assert!(MapTiles::new("tile.openstreetmap.org/{z}/{x}/{y}.png", "").is_err());
    }
}
