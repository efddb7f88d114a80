//! Plain aligned columns for the listing commands: what an operator reads in a terminal, and what
//! `grep`/`awk` still handle (two spaces between columns, no box drawing, no trailing blanks).

/// Headings then rows, each column as wide as its widest cell.
pub fn render<const N: usize>(headings: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = headings.map(str::len);
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let headings = headings.map(String::from);
    let mut out = String::new();
    for row in std::iter::once(&headings).chain(rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// `-` for a value that is not there.
pub fn or_dash(value: Option<impl ToString>) -> String {
    value.map_or_else(|| "-".to_string(), |v| v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_take_the_width_of_their_widest_cell() {
        let out = render(
            ["A", "LONG HEADING", "C"],
            &[
                ["wide cell".into(), "x".into(), "".into()],
                ["y".into(), "z".into(), "last".into()],
            ],
        );
        assert_eq!(
            out,
            "A          LONG HEADING  C\n\
             wide cell  x\n\
             y          z             last\n"
        );
    }
}
