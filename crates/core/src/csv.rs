//! CSV for the indicator table, in the two flavours a coordinator pastes from: standard (comma,
//! UTF-8, decimal point) and for Polish Excel (semicolon, UTF-8 with a byte-order mark so Excel
//! reads the Polish letters, decimal comma). Lines end in CRLF (RFC 4180).

/// One cell of the table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    /// A number written with one decimal (hours).
    Tenths(f64),
    /// No value (an indicator that does not apply).
    Empty,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    Standard,
    PolishExcel,
}

impl Flavour {
    pub fn separator(self) -> char {
        match self {
            Flavour::Standard => ',',
            Flavour::PolishExcel => ';',
        }
    }
}

fn text(s: &str, sep: char) -> String {
    // A cell a spreadsheet would run as a formula is written as text.
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{s}") } else { s.to_owned() };
    if s.contains([sep, '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn cell(c: &Cell, flavour: Flavour) -> String {
    match c {
        Cell::Text(s) => text(s, flavour.separator()),
        Cell::Int(n) => n.to_string(),
        Cell::Tenths(x) => {
            let s = format!("{x:.1}");
            if flavour == Flavour::PolishExcel {
                s.replace('.', ",")
            } else {
                s
            }
        }
        Cell::Empty => String::new(),
    }
}

/// The rows as one CSV text.
pub fn write(rows: &[Vec<Cell>], flavour: Flavour) -> String {
    let mut out = String::new();
    if flavour == Flavour::PolishExcel {
        out.push('\u{feff}');
    }
    let sep = flavour.separator().to_string();
    for row in rows {
        out.push_str(&row.iter().map(|c| cell(c, flavour)).collect::<Vec<_>>().join(&sep));
        out.push_str("\r\n");
    }
    out
}

/// The most rows [`read`] returns: a register of a voivodeship's facilities is a few hundred.
pub const READ_MAX_ROWS: usize = 5_000;

/// The largest file [`decode`]'s callers read (a register of a few thousand rows is well under).
pub const READ_MAX_BYTES: usize = 4 << 20;

/// A chosen file's text, in whatever encoding a coordinator's computer saved it: UTF-8 (with
/// or without a byte-order mark, which is left out), UTF-16 with its byte-order mark (Excel's
/// "Unicode text"), and otherwise Windows-1250 — what Polish Excel writes for "CSV (rozdzielany
/// średnikami)", in which "ł" and "ż" are single bytes that are not UTF-8. Never fails.
pub fn decode(bytes: &[u8]) -> String {
    let utf16 = |rest: &[u8], unit: fn([u8; 2]) -> u16| {
        char::decode_utf16(rest.chunks_exact(2).map(|c| unit([c[0], c[1]])))
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect::<String>()
    };
    let text = match bytes {
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes),
        _ => match std::str::from_utf8(bytes) {
            Ok(s) => s.to_owned(),
            Err(_) => bytes
                .iter()
                .map(|&b| if b < 0x80 { char::from(b) } else { WINDOWS_1250[usize::from(b - 0x80)] })
                .collect(),
        },
    };
    match text.strip_prefix('\u{feff}') {
        Some(rest) => rest.to_owned(),
        None => text,
    }
}

/// Windows-1250's bytes 0x80–0xFF (the five it leaves undefined as the C1 controls, as browsers
/// decode them).
#[rustfmt::skip]
const WINDOWS_1250: [char; 128] = [
    '\u{20AC}', '\u{0081}', '\u{201A}', '\u{0083}', '\u{201E}', '\u{2026}', '\u{2020}', '\u{2021}',
    '\u{0088}', '\u{2030}', '\u{0160}', '\u{2039}', '\u{015A}', '\u{0164}', '\u{017D}', '\u{0179}',
    '\u{0090}', '\u{2018}', '\u{2019}', '\u{201C}', '\u{201D}', '\u{2022}', '\u{2013}', '\u{2014}',
    '\u{0098}', '\u{2122}', '\u{0161}', '\u{203A}', '\u{015B}', '\u{0165}', '\u{017E}', '\u{017A}',
    '\u{00A0}', '\u{02C7}', '\u{02D8}', '\u{0141}', '\u{00A4}', '\u{0104}', '\u{00A6}', '\u{00A7}',
    '\u{00A8}', '\u{00A9}', '\u{015E}', '\u{00AB}', '\u{00AC}', '\u{00AD}', '\u{00AE}', '\u{017B}',
    '\u{00B0}', '\u{00B1}', '\u{02DB}', '\u{0142}', '\u{00B4}', '\u{00B5}', '\u{00B6}', '\u{00B7}',
    '\u{00B8}', '\u{0105}', '\u{015F}', '\u{00BB}', '\u{013D}', '\u{02DD}', '\u{013E}', '\u{017C}',
    '\u{0154}', '\u{00C1}', '\u{00C2}', '\u{0102}', '\u{00C4}', '\u{0139}', '\u{0106}', '\u{00C7}',
    '\u{010C}', '\u{00C9}', '\u{0118}', '\u{00CB}', '\u{011A}', '\u{00CD}', '\u{00CE}', '\u{010E}',
    '\u{0110}', '\u{0143}', '\u{0147}', '\u{00D3}', '\u{00D4}', '\u{0150}', '\u{00D6}', '\u{00D7}',
    '\u{0158}', '\u{016E}', '\u{00DA}', '\u{0170}', '\u{00DC}', '\u{00DD}', '\u{0162}', '\u{00DF}',
    '\u{0155}', '\u{00E1}', '\u{00E2}', '\u{0103}', '\u{00E4}', '\u{013A}', '\u{0107}', '\u{00E7}',
    '\u{010D}', '\u{00E9}', '\u{0119}', '\u{00EB}', '\u{011B}', '\u{00ED}', '\u{00EE}', '\u{010F}',
    '\u{0111}', '\u{0144}', '\u{0148}', '\u{00F3}', '\u{00F4}', '\u{0151}', '\u{00F6}', '\u{00F7}',
    '\u{0159}', '\u{016F}', '\u{00FA}', '\u{0171}', '\u{00FC}', '\u{00FD}', '\u{0163}', '\u{02D9}',
];

/// Reads a CSV text as a spreadsheet writes it (RFC 4180: quoted cells with `""` inside, line
/// breaks in quotes), with the separator found from the first line (semicolon, as Polish Excel
/// writes, comma or tab) and a byte-order mark ignored. Blank lines are left out; at most
/// [`READ_MAX_ROWS`] rows.
pub fn read(text: &str) -> Vec<Vec<String>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.lines().next().unwrap_or("");
    let sep = [';', '\t', ',']
        .into_iter()
        .max_by_key(|c| (first.matches(*c).count(), *c == ';'))
        .filter(|c| first.contains(*c))
        .unwrap_or(',');
    let mut rows = Vec::new();
    let (mut row, mut cell) = (Vec::new(), String::new());
    let (mut quoted, mut chars) = (false, text.chars().peekable());
    while let Some(c) = chars.next() {
        if rows.len() >= READ_MAX_ROWS {
            break;
        }
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            '"' if quoted => quoted = false,
            '"' if cell.trim().is_empty() => {
                cell.clear();
                quoted = true;
            }
            c if quoted => cell.push(c),
            c if c == sep => row.push(std::mem::take(&mut cell)),
            '\r' => {}
            '\n' => {
                row.push(std::mem::take(&mut cell));
                if row.iter().any(|c| !c.trim().is_empty()) {
                    rows.push(std::mem::take(&mut row));
                }
                row.clear();
            }
            c => cell.push(c),
        }
    }
    row.push(cell);
    if rows.len() < READ_MAX_ROWS && row.iter().any(|c| !c.trim().is_empty()) {
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_takes_what_a_spreadsheet_writes() {
        let written = write(&rows(), Flavour::PolishExcel);
        let read_back = read(&written);
        assert_eq!(read_back[3], ["Kontakty, w tym z kobietami; z dziećmi", "977"]);
        assert_eq!(read_back[4], ["Mediana \"do sprawdzenia\"", ""]);
        assert_eq!(read("a,b\r\n\r\n\"x\ny\",2\n"), vec![vec!["a", "b"], vec!["x\ny", "2"]]);
        assert_eq!(read("nazwa\tadres\nA\tB"), vec![vec!["nazwa", "adres"], vec!["A", "B"]]);
        assert!(read("").is_empty());
        assert_eq!(read("\"unterminated,1\n2").len(), 1, "an open quote runs to the end, nothing lost or panicking");
    }

    fn rows() -> Vec<Vec<Cell>> {
        vec![
            vec![Cell::Text("Wskaźnik".into()), Cell::Text("1.06.2021–31.08.2021".into())],
            vec![Cell::Text("Liczba patroli".into()), Cell::Int(150)],
            vec![Cell::Text("Godziny patroli".into()), Cell::Tenths(450.0)],
            vec![Cell::Text("Kontakty, w tym z kobietami; z dziećmi".into()), Cell::Int(977)],
            vec![Cell::Text("Mediana \"do sprawdzenia\"".into()), Cell::Empty],
        ]
    }

    #[test]
    fn standard_csv_is_comma_separated_utf8_with_quoted_commas() {
        let csv = write(&rows(), Flavour::Standard);
        assert!(!csv.starts_with('\u{feff}'));
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], "Wskaźnik,1.06.2021–31.08.2021");
        assert_eq!(lines[2], "Godziny patroli,450.0");
        assert_eq!(lines[3], "\"Kontakty, w tym z kobietami; z dziećmi\",977");
        assert_eq!(lines[4], "\"Mediana \"\"do sprawdzenia\"\"\",");
        assert_eq!(lines[5], "");
    }

    #[test]
    fn polish_excel_csv_has_a_bom_semicolons_and_decimal_commas() {
        let csv = write(&rows(), Flavour::PolishExcel);
        let body = csv.strip_prefix('\u{feff}').expect("a byte-order mark");
        let lines: Vec<&str> = body.split("\r\n").collect();
        assert_eq!(lines[1], "Liczba patroli;150");
        assert_eq!(lines[2], "Godziny patroli;450,0");
        assert_eq!(lines[3], "\"Kontakty, w tym z kobietami; z dziećmi\";977");
    }

    #[test]
    fn a_cell_that_looks_like_a_formula_is_written_as_text() {
        let csv = write(&[vec![Cell::Text("=HYPERLINK(\"x\")".into()), Cell::Text("-1".into())]], Flavour::Standard);
        assert_eq!(csv, "\"'=HYPERLINK(\"\"x\"\")\",'-1\r\n");
    }

    /// The Polish letters as Windows-1250 writes them (from the code page's published table,
    /// independent of the decoder's).
    const POLISH_1250: [(char, u8); 18] = [
        ('Ą', 0xA5),
        ('Ć', 0xC6),
        ('Ę', 0xCA),
        ('Ł', 0xA3),
        ('Ń', 0xD1),
        ('Ó', 0xD3),
        ('Ś', 0x8C),
        ('Ź', 0x8F),
        ('Ż', 0xAF),
        ('ą', 0xB9),
        ('ć', 0xE6),
        ('ę', 0xEA),
        ('ł', 0xB3),
        ('ń', 0xF1),
        ('ó', 0xF3),
        ('ś', 0x9C),
        ('ź', 0x9F),
        ('ż', 0xBF),
    ];

    fn windows_1250(s: &str) -> Vec<u8> {
        s.chars()
            .map(|c| if c.is_ascii() { c as u8 } else { POLISH_1250.iter().find(|(p, _)| *p == c).unwrap().1 })
            .collect()
    }

    #[test]
    fn a_file_polish_excel_saved_reads_with_its_polish_letters() {
        let line =
            "Nazwa;Typ placówki;Liczba miejsc\r\nŁaźnia miejska dla mężczyzn;łaźnia;0\r\nŻÓŁĆ ŚĘĄŹŃ;ogrzewalnia;12\r\n";
        let bytes = windows_1250(line);
        assert!(std::str::from_utf8(&bytes).is_err(), "not UTF-8");
        assert_eq!(decode(&bytes), line);
        assert_eq!(read(&decode(&bytes))[1], ["Łaźnia miejska dla mężczyzn", "łaźnia", "0"]);
        // UTF-8, with and without a byte-order mark; UTF-16 as Excel's "Unicode text" saves it.
        assert_eq!(decode(line.as_bytes()), line);
        assert_eq!(decode(&[b"\xEF\xBB\xBF".as_slice(), line.as_bytes()].concat()), line);
        let utf16le: Vec<u8> = [0xFF, 0xFE].into_iter().chain(line.encode_utf16().flat_map(u16::to_le_bytes)).collect();
        assert_eq!(decode(&utf16le), line);
        let utf16be: Vec<u8> = [0xFE, 0xFF].into_iter().chain(line.encode_utf16().flat_map(u16::to_be_bytes)).collect();
        assert_eq!(decode(&utf16be), line);
        assert_eq!(decode(&[0xFF, 0xFE, 0x41]), "", "half a UTF-16 unit is left out");
        assert_eq!(decode(&[0xFF, 0xFE, 0x00, 0xD8]), "\u{fffd}", "a lone surrogate is replaced");
    }

    proptest::proptest! {
        /// Any UTF-8 text comes back as it was; any bytes at all decode to something.
        #[test]
        fn decoding_keeps_utf8_and_takes_any_bytes(s in "\\PC*", bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            proptest::prop_assert_eq!(decode(s.as_bytes()), s.strip_prefix('\u{feff}').unwrap_or(&s));
            let text = decode(&bytes);
            if bytes.iter().all(u8::is_ascii) {
                proptest::prop_assert_eq!(text.as_bytes(), bytes.as_slice());
            }
        }
    }
}
