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
}
