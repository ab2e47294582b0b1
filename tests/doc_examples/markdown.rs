//! Reading the docs: marked examples and the text outside them.

use panoramix_core::canonical;
use std::collections::BTreeMap;

/// A marked example.
#[derive(Debug, Clone)]
pub struct Example {
    pub doc: String,
    /// 1-based line of the marker.
    pub line: usize,
    pub kind: String,
    pub args: Vec<String>,
    /// The fenced block's content, or the table's lines.
    pub text: String,
    pub table: bool,
}

impl Example {
    pub fn at(&self) -> String {
        format!("{}:{} ({})", self.doc, self.line, self.kind)
    }
    pub fn arg(&self, name: &str) -> Option<String> {
        self.args
            .iter()
            .find_map(|a| a.strip_prefix(&format!("{name}=")).map(str::to_owned))
    }
    /// `name: value` lines (values trimmed; C-style escapes undone).
    pub fn fields(&self) -> BTreeMap<String, String> {
        self.text
            .lines()
            .filter_map(|l| {
                let (k, v) = l.split_once(':')?;
                Some((k.trim().to_owned(), unescape(v.trim())))
            })
            .collect()
    }
}

/// A doc's examples and, for the unmarked check, its lines outside them.
pub struct Parsed {
    pub examples: Vec<Example>,
    /// (line number, text) of every line not inside a marked example.
    pub unmarked: Vec<(usize, String)>,
    /// All the text inside marked examples.
    pub marked_text: String,
}

pub fn parse(doc: &str, src: &str) -> Result<Parsed, String> {
    let lines: Vec<&str> = src.lines().collect();
    let mut examples = Vec::new();
    let mut unmarked = Vec::new();
    let mut marked_text = String::new();
    let mut i = 0;
    let mut in_fence = false;
    while i < lines.len() {
        let l = lines[i];
        if l.trim_start().starts_with("```") {
            in_fence = !in_fence;
        }
        let marker = l
            .trim()
            .strip_prefix("<!-- kat:")
            .and_then(|r| r.strip_suffix("-->"));
        if marker.is_none() && !in_fence && l.trim_start().starts_with("<!-- kat") {
            return Err(format!(
                "{doc}:{}: a marker is one line `<!-- kat: KIND ARGS -->`",
                i + 1
            ));
        }
        let Some(marker) = marker.filter(|_| !in_fence) else {
            unmarked.push((i + 1, l.to_owned()));
            i += 1;
            continue;
        };
        let mut words = marker.split_whitespace();
        let kind = words.next().unwrap_or_default().to_owned();
        let rest: Vec<String> = words.map(str::to_owned).collect();
        let line = i + 1;
        i += 1;
        while i < lines.len() && lines[i].trim().is_empty() {
            i += 1;
        }
        let (text, table) = if i < lines.len() && lines[i].trim_start().starts_with("```") {
            let start = i + 1;
            let mut end = start;
            while end < lines.len() && !lines[end].trim_start().starts_with("```") {
                end += 1;
            }
            if end == lines.len() {
                return Err(format!("{doc}:{line}: unterminated block"));
            }
            i = end + 1;
            (lines[start..end].join("\n"), false)
        } else if i < lines.len() && lines[i].trim_start().starts_with('|') {
            let start = i;
            while i < lines.len() && lines[i].trim_start().starts_with('|') {
                i += 1;
            }
            (lines[start..i].join("\n"), true)
        } else {
            return Err(format!(
                "{doc}:{line}: a `kat` marker must be followed by a fenced block or a table"
            ));
        };
        marked_text.push_str(&text);
        marked_text.push('\n');
        examples.push(Example {
            doc: doc.to_owned(),
            line,
            kind,
            args: rest,
            text,
            table,
        });
    }
    Ok(Parsed {
        examples,
        unmarked,
        marked_text,
    })
}

/// Undo C-style escapes: `\n`, `\t`, `\\`, `\"`, `\0`, `\xNN`.
pub fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('0') => out.push('\0'),
            Some('x') => {
                let h: String = it.by_ref().take(2).collect();
                out.push(char::from(u8::from_str_radix(&h, 16).unwrap_or(b'?')));
            }
            Some(o) => out.push(o),
            None => out.push('\\'),
        }
    }
    out
}

/// The inline code spans of a line.
pub fn code_spans(line: &str) -> Vec<String> {
    line.split('`')
        .enumerate()
        .filter(|(i, _)| i % 2 == 1)
        .map(|(_, s)| s.to_owned())
        .collect()
}

/// Whether a piece of doc text outside the marked examples looks like a byte-level
/// example: returns what it found.
pub fn unmarked_findings(p: &Parsed) -> Vec<String> {
    let mut out = Vec::new();
    let known = |s: &str| p.marked_text.contains(s);
    for (n, line) in &p.unmarked {
        // runs of 32+ hex digits: hashes, keys, signatures, nonces
        let mut run = String::new();
        for c in line.chars().chain(std::iter::once(' ')) {
            if c.is_ascii_hexdigit() && !c.is_ascii_uppercase() {
                run.push(c);
                continue;
            }
            if run.len() >= 32 && !c.is_ascii_alphanumeric() && !known(&run) {
                out.push(format!("line {n}: hex value {run}"));
            }
            if c.is_ascii_alphanumeric() {
                // part of a longer word (base64url, identifiers): not a hex value
                run.clear();
                run.push('x');
            } else {
                run.clear();
            }
        }
        // hex dumps
        let toks: Vec<&str> = line.split_whitespace().collect();
        if toks.len() >= 8
            && toks
                .iter()
                .all(|t| t.len() == 2 && t.chars().all(|c| c.is_ascii_hexdigit()))
            && !known(line.trim())
        {
            out.push(format!("line {n}: hex dump"));
        }
        // code spans that are canonical encodings
        for span in code_spans(line) {
            let bytes = unescape(&span);
            let trivial = matches!(bytes.as_str(), "null" | "[\n]\n" | "{\n}\n");
            // a scalar's encoding, right or wrong: `LL N 0 S` / `LL N _ ...` spelled
            // in hex digits, `_` and `-` (the old §1.3 row `0210ffff…` did not decode)
            let scalar_like = span.len() >= 5
                && span.starts_with('0')
                && span.bytes().all(|b| {
                    b.is_ascii_digit() || (b'a'..=b'f').contains(&b) || b == b'_' || b == b'-'
                });
            let decodes = canonical::decode(bytes.as_bytes()).is_ok();
            if !trivial && (decodes || scalar_like) && !known(&span) {
                out.push(format!("line {n}: canonical encoding `{span}`"));
            }
        }
    }
    out
}
