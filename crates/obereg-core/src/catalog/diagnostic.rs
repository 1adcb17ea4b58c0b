//! Findings of the catalog check: what is wrong, where, and how to fix it.

use std::fmt;

use serde::Serialize;

use crate::text::{Bilingual, Lang};

/// Whether a finding blocks the catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The catalog is refused.
    Error,
    /// The catalog is accepted; the finding deserves a look.
    Warning,
}

/// One step of a path into the catalog document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathSeg {
    Key(String),
    Index(usize),
}

/// A location in the catalog document, as a list of keys and indexes
/// (`purposes[2].retention`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DocPath(pub Vec<PathSeg>);

impl DocPath {
    pub fn root() -> Self {
        Self(Vec::new())
    }

    /// This path extended by a key.
    pub fn key(&self, key: &str) -> Self {
        let mut next = self.0.clone();
        next.push(PathSeg::Key(key.to_owned()));
        Self(next)
    }

    /// This path extended by an array index.
    pub fn index(&self, i: usize) -> Self {
        let mut next = self.0.clone();
        next.push(PathSeg::Index(i));
        Self(next)
    }
}

impl fmt::Display for DocPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (n, seg) in self.0.iter().enumerate() {
            match seg {
                PathSeg::Key(k) if n == 0 => write!(f, "{k}")?,
                PathSeg::Key(k) => write!(f, ".{k}")?,
                PathSeg::Index(i) => write!(f, "[{i}]")?,
            }
        }
        Ok(())
    }
}

impl Serialize for DocPath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A position in the source text, both 1-based; the column counts characters, not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

impl Position {
    /// The position of byte `offset` in `source`.
    pub fn of_offset(source: &str, offset: usize) -> Self {
        let offset = offset.min(source.len());
        let mut start = offset;
        while !source.is_char_boundary(start) {
            start -= 1;
        }
        let before = &source[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = before[line_start..].chars().count() + 1;
        Self { line, column }
    }
}

/// A finding of the catalog check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable machine code, e.g. `purpose.no_retention`.
    pub code: &'static str,
    pub path: DocPath,
    pub message: Bilingual,
    pub fix: Bilingual,
    /// Where in the source the finding points; filled in by [`super::check`].
    pub position: Option<Position>,
}

impl Diagnostic {
    pub fn error(code: &'static str, path: DocPath, message: Bilingual, fix: Bilingual) -> Self {
        Self { severity: Severity::Error, code, path, message, fix, position: None }
    }

    pub fn warning(code: &'static str, path: DocPath, message: Bilingual, fix: Bilingual) -> Self {
        Self { severity: Severity::Warning, code, path, message, fix, position: None }
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// Renders the finding for a terminal, compiler style: the problem, `file:line:column`,
    /// the offending source line and the fix.
    pub fn render(&self, file: &str, source: &str, lang: Lang) -> String {
        let label = match (self.severity, lang) {
            (Severity::Error, Lang::En) => "error",
            (Severity::Error, Lang::Ru) => "ошибка",
            (Severity::Warning, Lang::En) => "warning",
            (Severity::Warning, Lang::Ru) => "предупреждение",
        };
        let mut out = format!("{label}[{}]: {}\n", self.code, self.message.get(lang));
        // Width of the line-number gutter, so `|` and `=` line up under a long line number.
        let gutter = self.position.map_or(1, |p| p.line.to_string().len());
        match self.position {
            Some(pos) => {
                out.push_str(&format!("{:gutter$}--> {file}:{}:{}\n", "", pos.line, pos.column));
                if let Some(text) = source.lines().nth(pos.line - 1) {
                    out.push_str(&format!("{:gutter$} |\n{} | {}\n", "", pos.line, text));
                    out.push_str(&format!("{:gutter$} | {:>col$}\n", "", "^", col = pos.column));
                }
            }
            None => out.push_str(&format!("{:gutter$}--> {file}\n", "")),
        }
        if !self.path.0.is_empty() {
            let at = if lang == Lang::Ru { "где" } else { "at" };
            out.push_str(&format!("{:gutter$} = {at}: {}\n", "", self.path));
        }
        let fix = if lang == Lang::Ru { "как исправить" } else { "fix" };
        out.push_str(&format!("{:gutter$} = {fix}: {}\n", "", self.fix.get(lang)));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let src = "a = 1\nимя = \"x\"\n";
        assert_eq!(Position::of_offset(src, 0), Position { line: 1, column: 1 });
        let x = src.find("\"x").unwrap();
        assert_eq!(Position::of_offset(src, x), Position { line: 2, column: 7 });
        assert_eq!(Position::of_offset(src, 10_000).line, 3);
    }

    #[test]
    fn paths_print_like_the_document() {
        let p = DocPath::root().key("purposes").index(2).key("retention");
        assert_eq!(p.to_string(), "purposes[2].retention");
    }

    #[test]
    fn render_names_file_line_problem_and_fix() {
        let mut d = Diagnostic::error(
            "purpose.no_retention",
            DocPath::root().key("purposes").index(0),
            Bilingual::new("no retention", "нет срока"),
            Bilingual::new("add one", "добавьте"),
        );
        d.position = Some(Position { line: 2, column: 1 });
        let text = d.render("c.toml", "x = 1\n[[purposes]]\n", Lang::En);
        assert!(text.contains("error[purpose.no_retention]: no retention"));
        assert!(text.contains("--> c.toml:2:1"));
        assert!(text.contains("2 | [[purposes]]"));
        assert!(text.contains("fix: add one"));
        let ru = d.render("c.toml", "x = 1\n[[purposes]]\n", Lang::Ru);
        assert!(ru.contains("ошибка[purpose.no_retention]: нет срока"));
    }
}
