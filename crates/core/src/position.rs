//! A position pasted whole into a latitude or longitude field, as map sites, phones and other
//! documents copy it: a coordinator taking a caller's place from a web map types nothing.

/// The latitude and longitude in `text` when it holds a whole position:
/// - two decimal numbers: `54.44160, 18.56010` (a web map's copy), `54.4416,18.5601`,
///   `54,4416; 18,5601` or `54,4416 18,5601` (decimal commas), `geo:54.4416,18.5601;u=35`;
/// - degrees with minutes and seconds, the hemisphere after or before: `54°26'29.8"N
///   18°33'36.4"E`, `N 54° 26.497' E 18° 33.606'`.
///
/// `None` for anything else — a single number is one coordinate, `54,44` a decimal comma — and
/// for a latitude or longitude out of range.
pub fn pasted(text: &str) -> Option<(f64, f64)> {
    let t = text.trim();
    let t = match t.get(..4) {
        Some(scheme) if scheme.eq_ignore_ascii_case("geo:") => t[4..].split([';', '?']).next().unwrap_or(""),
        _ => t,
    };
    let (lat, lon) = if t.contains('°') { degrees(t)? } else { decimals(t)? };
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some((lat, lon))
}

/// One coordinate as typed: a finite decimal number, a comma being a decimal point too (the
/// coordinate fields read theirs so as well).
pub fn decimal(s: &str) -> Option<f64> {
    s.trim().replace(',', ".").parse::<f64>().ok().filter(|x| x.is_finite())
}

fn decimals(t: &str) -> Option<(f64, f64)> {
    let two = |a: &str, b: &str| Some((decimal(a)?, decimal(b)?));
    if let Some((a, b)) = t.split_once(';') {
        return two(a, b);
    }
    if let Some((a, b)) = t.split_once(", ") {
        return two(a, b);
    }
    let words: Vec<&str> = t.split_whitespace().collect();
    if let [a, b] = words[..] {
        return two(a, b);
    }
    // A bare comma parts two numbers only when both have a decimal point: `54,44` is one.
    match t.split(',').collect::<Vec<_>>()[..] {
        [a, b] if a.contains('.') && b.contains('.') => two(a, b),
        _ => None,
    }
}

/// Two positions' worth of degrees, minutes and seconds, each with its hemisphere letter.
fn degrees(t: &str) -> Option<(f64, f64)> {
    // Each coordinate: its numbers (degrees, then minutes and seconds if any) and its letter.
    let mut done: Vec<(Vec<f64>, char)> = Vec::new();
    let (mut numbers, mut letter, mut digits) = (Vec::new(), None::<char>, String::new());
    for c in t.chars().chain([' ']) {
        if c.is_ascii_digit() || c == '.' || (c == ',' && !digits.is_empty()) {
            digits.push(c);
            continue;
        }
        if !digits.is_empty() {
            numbers.push(decimal(&std::mem::take(&mut digits))?);
        }
        match c.to_ascii_uppercase() {
            h @ ('N' | 'S' | 'E' | 'W') if numbers.is_empty() && letter.is_none() => letter = Some(h),
            h @ ('N' | 'S' | 'E' | 'W') if !numbers.is_empty() && letter.is_none() => {
                done.push((std::mem::take(&mut numbers), h));
            }
            h @ ('N' | 'S' | 'E' | 'W') => {
                // The letter of the next coordinate, right after this one's numbers.
                done.push((std::mem::take(&mut numbers), letter.take()?));
                letter = Some(h);
            }
            '°' | '\'' | '"' | '′' | '″' | '’' | '”' | ' ' | ',' | ';' => {}
            _ => return None,
        }
    }
    if !numbers.is_empty() {
        done.push((numbers, letter.take()?));
    }
    let value = |(parts, h): &(Vec<f64>, char)| {
        let [d, rest @ ..] = parts.as_slice() else { return None };
        if rest.len() > 2 || rest.iter().any(|x| !(0.0..60.0).contains(x)) {
            return None;
        }
        let x = d + rest.first().unwrap_or(&0.0) / 60.0 + rest.get(1).unwrap_or(&0.0) / 3600.0;
        Some((if matches!(h, 'S' | 'W') { -x } else { x }, *h))
    };
    match done.as_slice() {
        [a, b] if letter.is_none() => match (value(a)?, value(b)?) {
            ((lat, 'N' | 'S'), (lon, 'E' | 'W')) | ((lon, 'E' | 'W'), (lat, 'N' | 'S')) => Some((lat, lon)),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn near(p: Option<(f64, f64)>, lat: f64, lon: f64) -> bool {
        p.is_some_and(|(a, b)| (a - lat).abs() < 1e-6 && (b - lon).abs() < 1e-6)
    }

    #[test]
    fn a_position_as_maps_and_documents_copy_it() {
        for text in [
            "54.44160, 18.56010",
            " 54.4416,18.5601 ",
            "54,4416; 18,5601",
            "54,4416 18,5601",
            "54.4416\t18.5601",
            "geo:54.4416,18.5601;u=35",
            "GEO:54.4416,18.5601",
        ] {
            assert!(near(pasted(text), 54.4416, 18.5601), "{text}");
        }
        // Degrees, minutes and seconds (a web map), degrees and minutes with the letter first.
        assert!(near(
            pasted("54°26'29.8\"N 18°33'36.4\"E"),
            54.0 + 26.0 / 60.0 + 29.8 / 3600.0,
            18.0 + 33.0 / 60.0 + 36.4 / 3600.0
        ));
        assert!(near(pasted("N 54° 26.497' E 18° 33.606'"), 54.0 + 26.497 / 60.0, 18.0 + 33.606 / 60.0));
        assert!(near(
            pasted("18°33′36″E, 54°26′29″N"),
            54.0 + 26.0 / 60.0 + 29.0 / 3600.0,
            18.0 + 33.0 / 60.0 + 36.0 / 3600.0
        ));
        assert!(near(pasted("33°52'S 151°12'E"), -(33.0 + 52.0 / 60.0), 151.2));
        assert!(near(pasted("54°26,5'N 18°33,5'E"), 54.0 + 26.5 / 60.0, 18.0 + 33.5 / 60.0));
    }

    #[test]
    fn one_number_or_anything_else_is_not_a_position() {
        for text in [
            "54.4416",
            "54,44",
            "54,4416",
            "",
            "  ",
            "54.4,18.5,3.0",
            "inf, 1.0",
            "NaN 1.0",
            "1e3 5.0",
            "100.0, 18.0",
            "54.0, 200.0",
            "ul. Zielona 1, Częstochowa",
            "54°26'N",
            "54°26'N 18°33'N",
            "54°61'N 18°33'E",
            "54°26'N 18°33'E 3°",
            "N E",
            "54° 18°",
        ] {
            assert_eq!(pasted(text), None, "{text:?}");
        }
    }

    proptest! {
        /// Any position written as a web map writes it, in either form, comes back.
        #[test]
        fn a_written_position_reads_back(lat in -90.0f64..=90.0, lon in -180.0f64..=180.0) {
            let text = format!("{lat:.6}, {lon:.6}");
            let back = pasted(&text);
            prop_assert!(near(back, (lat * 1e6).round() / 1e6, (lon * 1e6).round() / 1e6), "{}: {:?}", text, back);
            let dms = |x: f64, pos: char, neg: char| {
                let a = x.abs();
                let (d, m) = (a.trunc(), (a.fract() * 60.0).trunc());
                let s = ((a * 3600.0) - d * 3600.0 - m * 60.0).max(0.0);
                let s = ((s * 1000.0).floor() / 1000.0).min(59.999);
                (format!("{d}°{m}'{s:.3}\"{}", if x < 0.0 { neg } else { pos }), (d + m / 60.0 + s / 3600.0).copysign(x))
            };
            let ((a, la), (b, lo)) = (dms(lat, 'N', 'S'), dms(lon, 'E', 'W'));
            let p = pasted(&format!("{a} {b}"));
            prop_assert!(p.is_some_and(|(x, y)| (x - la).abs() < 1e-6 && (y - lo).abs() < 1e-6), "{} {}: {:?}", a, b, p);
        }

        #[test]
        fn any_text_is_read_without_panicking(text in "\\PC{0,40}") {
            if let Some((lat, lon)) = pasted(&text) {
                prop_assert!(lat.abs() <= 90.0 && lon.abs() <= 180.0);
            }
        }
    }
}
