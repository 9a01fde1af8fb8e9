//! The map's settings, one type for both sides: the operator sets them on the server
//! (`--tile-url`, `--tile-attribution`, `--duplicate-radius-m`), `GET /api/v1/config` gives
//! them to the app, which keeps them for offline use.

use serde::{Deserialize, Serialize};

pub const OSM_TILES: &str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png";
pub const OSM_ATTRIBUTION: &str = "&copy; <a href=\"https://www.openstreetmap.org/copyright\">OpenStreetMap</a>";

/// Where map tiles come from, the credit their licence asks for, and how close two places
/// must be to be taken for one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MapSettings {
    pub tile_url: String,
    pub tile_attribution: String,
    pub duplicate_radius_m: f64,
}

impl Default for MapSettings {
    fn default() -> Self {
        MapSettings {
            tile_url: OSM_TILES.into(),
            tile_attribution: OSM_ATTRIBUTION.into(),
            duplicate_radius_m: crate::sites::DUPLICATE_RADIUS_M,
        }
    }
}

impl MapSettings {
    /// Checks a tile address template: `http(s)://host/…{z}…{x}…{y}…`, `{s}` allowed in the host
    /// for sub-domains. The error says what is wrong, for the operator.
    pub fn new(tile_url: &str, tile_attribution: &str) -> Result<MapSettings, String> {
        let t = MapSettings {
            tile_url: tile_url.trim().into(),
            tile_attribution: tile_attribution.trim().into(),
            ..MapSettings::default()
        };
        t.origin()?;
        for part in ["{z}", "{x}", "{y}"] {
            if !t.tile_url.contains(part) {
                return Err(format!("the tile URL must contain {part}: {}", t.tile_url));
            }
        }
        Ok(t)
    }

    /// With another duplicate radius (1 to 500 m).
    pub fn with_duplicate_radius(self, metres: f64) -> Result<MapSettings, String> {
        if !(1.0..=500.0).contains(&metres) {
            return Err(format!("the duplicate radius must be 1 to 500 metres, not {metres}"));
        }
        Ok(MapSettings { duplicate_radius_m: metres, ..self })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csp_origin_of_a_tile_template() {
        assert_eq!(MapSettings::default().origin().unwrap(), "https://tile.openstreetmap.org");
        let sub = MapSettings::new("https://{s}.tiles.example.org/osm/{z}/{x}/{y}.png", "x").unwrap();
        assert_eq!(sub.origin().unwrap(), "https://*.tiles.example.org");
        let local = MapSettings::new("http://127.0.0.1:9/{z}/{x}/{y}.png", "x").unwrap();
        assert_eq!(local.origin().unwrap(), "http://127.0.0.1:9");
    }

    #[test]
    fn bad_tile_templates_are_refused_with_the_reason() {
        assert!(MapSettings::new("ftp://x.org/{z}/{x}/{y}.png", "").unwrap_err().contains("http(s)"));
        assert!(MapSettings::new("https://x.org/tiles.png", "").unwrap_err().contains("{z}"));
        assert!(MapSettings::new("https://x.org; script-src *//{z}/{x}/{y}", "").is_err(), "no CSP injection");
        assert!(MapSettings::new("tile.openstreetmap.org/{z}/{x}/{y}.png", "").is_err());
        assert!(MapSettings::default().with_duplicate_radius(0.0).unwrap_err().contains("1 to 500"));
        assert_eq!(MapSettings::default().with_duplicate_radius(50.0).unwrap().duplicate_radius_m, 50.0);
    }
}
