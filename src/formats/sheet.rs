//! Tables as files hold them: a title, a heading row and rows of cells — what the desk's
//! exports and the central's spreadsheets are made of, for the CSV and Excel writers.

/// One cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Text (names, Beijing times, completeness in words).
    Text(String),
    /// A number, written with `decimals` places (as the screen shows it).
    Number {
        /// The value.
        value: f64,
        /// Places after the point.
        decimals: usize,
    },
    /// Nothing: a value that is missing.
    Empty,
}

impl Cell {
    /// A text cell.
    pub fn text(text: impl Into<String>) -> Self {
        Self::Text(text.into())
    }

    /// A number cell; `None` is empty.
    pub fn number(value: Option<f64>, decimals: usize) -> Self {
        value.map_or(Self::Empty, |value| Self::Number { value, decimals })
    }

    /// The cell as a file writes it: numbers with their places, empty as nothing.
    pub fn written(&self) -> String {
        match self {
            Self::Text(text) => text.clone(),
            Self::Number { value, decimals } => format!("{value:.decimals$}"),
            Self::Empty => String::new(),
        }
    }
}

/// One table: a title (the sheet's name in Excel), a heading row in the user's language, rows.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// What the table is, as the screen titles it.
    pub title: String,
    /// Column headings.
    pub headings: Vec<String>,
    /// The rows, each as long as the headings.
    pub rows: Vec<Vec<Cell>>,
}
