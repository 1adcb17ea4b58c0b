//! A small document model — headings, paragraphs, lists, tables — that renders the same
//! content as Markdown and as a self-contained HTML page. Every generated document is built
//! with it, so both formats always say the same thing.

use crate::text::{Lang, html_escape};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Block {
    Heading(String),
    Para(String),
    List(Vec<String>),
    Table(Vec<String>, Vec<Vec<String>>),
}

/// A document under construction, then rendered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doc {
    pub title: String,
    pub lang: Lang,
    blocks: Vec<Block>,
}

impl Doc {
    pub fn new(title: impl Into<String>, lang: Lang) -> Self {
        Self { title: title.into(), lang, blocks: Vec::new() }
    }

    pub fn heading(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Heading(text.into()));
    }

    pub fn para(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Para(text.into()));
    }

    /// A bulleted list; an empty one is left out.
    pub fn list(&mut self, items: Vec<String>) {
        if !items.is_empty() {
            self.blocks.push(Block::List(items));
        }
    }

    pub fn table(&mut self, head: Vec<String>, rows: Vec<Vec<String>>) {
        self.blocks.push(Block::Table(head, rows));
    }

    /// The document as Markdown (CommonMark with GFM tables).
    pub fn markdown(&self) -> String {
        let mut s = format!("# {}\n", self.title);
        for block in &self.blocks {
            s.push('\n');
            match block {
                Block::Heading(t) => s.push_str(&format!("## {t}\n")),
                Block::Para(t) => s.push_str(&format!("{t}\n")),
                Block::List(items) => {
                    for i in items {
                        s.push_str(&format!("- {i}\n"));
                    }
                }
                Block::Table(head, rows) => {
                    let cell = |c: &String| c.replace('|', "\\|").replace('\n', " ");
                    s.push_str(&format!("| {} |\n", head.iter().map(cell).collect::<Vec<_>>().join(" | ")));
                    s.push_str(&format!("|{}\n", "---|".repeat(head.len())));
                    for r in rows {
                        s.push_str(&format!("| {} |\n", r.iter().map(cell).collect::<Vec<_>>().join(" | ")));
                    }
                }
            }
        }
        s
    }

    /// The document as one HTML page with its own style: no scripts, no external resources.
    pub fn html(&self) -> String {
        let lang = if self.lang == Lang::Ru { "ru" } else { "en" };
        let mut h = format!(
            "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title>\
             <style>body{{font:16px/1.55 system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem;color:#111}}table{{border-collapse:collapse;width:100%}}td,th{{border:1px solid #bbb;padding:.35rem .5rem;text-align:left;vertical-align:top}}h2{{margin-top:2rem}}</style></head><body>\n<h1>{}</h1>\n",
            html_escape(&self.title),
            html_escape(&self.title)
        );
        for block in &self.blocks {
            match block {
                Block::Heading(t) => h.push_str(&format!("<h2>{}</h2>\n", html_escape(t))),
                Block::Para(t) => h.push_str(&format!("<p>{}</p>\n", html_escape(t))),
                Block::List(items) => {
                    h.push_str("<ul>");
                    for i in items {
                        h.push_str(&format!("<li>{}</li>", html_escape(i)));
                    }
                    h.push_str("</ul>\n");
                }
                Block::Table(head, rows) => {
                    h.push_str("<table><tr>");
                    for c in head {
                        h.push_str(&format!("<th>{}</th>", html_escape(c)));
                    }
                    h.push_str("</tr>");
                    for r in rows {
                        h.push_str("<tr>");
                        for c in r {
                            h.push_str(&format!("<td>{}</td>", html_escape(c)));
                        }
                        h.push_str("</tr>");
                    }
                    h.push_str("</table>\n");
                }
            }
        }
        h.push_str("</body></html>\n");
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_formats_carry_the_same_content_and_escape_it() {
        let mut d = Doc::new("Политика <A&B>", Lang::Ru);
        d.heading("Цели");
        d.para("Текст | с чертой");
        d.list(vec!["один".into(), "<два>".into()]);
        d.list(vec![]);
        d.table(vec!["a".into(), "b|c".into()], vec![vec!["1".into(), "2\n3".into()]]);
        let md = d.markdown();
        assert_eq!(md, "# Политика <A&B>\n\n## Цели\n\nТекст | с чертой\n\n- один\n- <два>\n\n| a | b\\|c |\n|---|---|\n| 1 | 2 3 |\n");
        let html = d.html();
        assert!(html.starts_with("<!doctype html><html lang=\"ru\">"));
        assert!(html.contains("<h1>Политика &lt;A&amp;B&gt;</h1>"));
        assert!(html.contains("<li>&lt;два&gt;</li>"));
        assert!(!html.contains("<script"));
    }
}
