//! Text bound for spreadsheets.

/// A CSV cell that a spreadsheet would take for a formula (=, +, -, @, or a tab or carriage
/// return first) starts with an apostrophe instead, so that opening participants' text or
/// imported attributes in Excel or LibreOffice never runs it. XLSX cells are stored as text
/// and need none of this.
pub fn inert_cell(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell
    }
}

#[cfg(test)]
mod tests {
    use super::inert_cell;

    #[test]
    fn formulas_are_made_inert() {
        assert_eq!(inert_cell("=HYPERLINK(\"http://x\")".into()), "'=HYPERLINK(\"http://x\")");
        assert_eq!(inert_cell("-1".into()), "'-1");
        assert_eq!(inert_cell("@SUM(A1)".into()), "'@SUM(A1)");
        assert_eq!(inert_cell("Fine = fine".into()), "Fine = fine");
    }
}
