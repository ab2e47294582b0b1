//! docs/operators.md stays true: every ```` ```console MACHINE ```` block of the
//! page is run, its `$ ` lines as commands on that machine, and what each prints
//! is checked against the lines shown under it.
//!
//! The rules (the page states them too):
//! * a machine is a home directory of its own (`HOME`, the working directory);
//!   `~` in a command is that home and the home's path in an output is shown as `~`;
//!   an `export` holds for the commands of its machine;
//! * `{{name}}` in an output stands for one word (no spaces) and names it; the
//!   same name again, in an output or a command, is that word;
//! * a line `...` stands for any number of lines;
//! * `127.0.0.1:8000` (the controller) and `127.0.0.1:5000` (the agent) are free
//!   ports in the run, shown as these;
//! * a command ending in ` &` runs in the background: the lines under it are the
//!   first ones it prints; `$ wait` waits for the machine's background commands
//!   and the lines under it are the rest of what they printed, in order;
//! * `$ echo $?` prints the exit code of the last command in the foreground;
//!   `$ export NAME=VALUE` sets a variable for the commands after it; `$ curl`
//!   is a small `curl` (`-s`, `-X`, `-H`, `-d`, one URL).
//!
//! Every background command still running at the end is killed; every wait is
//! bounded.
mod common;

use common::*;
use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

type Bindings = BTreeMap<String, String>;

/// How long a background command may take to print what the page shows, and
/// `wait` to see them end.
const BOUND: Duration = Duration::from_secs(120);

/// One `console` block: its machine and its lines.
struct Block {
    machine: String,
    lines: Vec<String>,
    /// Line number in the page (for messages).
    at: usize,
}

fn blocks(page: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut cur: Option<Block> = None;
    for (i, l) in page.lines().enumerate() {
        match (&mut cur, l.strip_prefix("```")) {
            (None, Some(info)) => {
                if let Some(m) = info.strip_prefix("console ") {
                    cur = Some(Block {
                        machine: m.trim().to_owned(),
                        lines: Vec::new(),
                        at: i + 1,
                    });
                } else if !info.is_empty() || l == "```" {
                    // another kind of block: skip to its end
                    cur = Some(Block {
                        machine: String::new(),
                        lines: Vec::new(),
                        at: 0,
                    });
                }
            }
            (Some(_), Some("")) => {
                let b = cur.take().unwrap();
                if b.at > 0 {
                    out.push(b);
                }
            }
            (Some(b), _) => b.lines.push(l.to_owned()),
            (None, None) => {}
        }
    }
    out
}

/// Does the line `want` (with `{{name}}` placeholders) match `got`? Binds new names.
fn match_line(want: &str, got: &str, b: &mut Bindings) -> bool {
    let mut rest = got;
    let mut w = want;
    let mut bound: Vec<(String, String)> = Vec::new();
    loop {
        let Some(open) = w.find("{{") else {
            break rest == w;
        };
        let (lit, after) = w.split_at(open);
        let Some(r) = rest.strip_prefix(lit) else {
            break false;
        };
        let close = after.find("}}").expect("{{ without }}");
        let name = &after[2..close];
        w = &after[close + 2..];
        // the word: up to the next literal (or a space, or the end)
        let next_lit = w.split("{{").next().unwrap_or("");
        let end = match next_lit.is_empty() {
            true => r.find(' ').unwrap_or(r.len()),
            false => match r.find(next_lit) {
                Some(e) => e,
                None => break false,
            },
        };
        let word = &r[..end];
        let known = b
            .get(name)
            .or_else(|| bound.iter().find(|(n, _)| n == name).map(|(_, v)| v));
        match known {
            Some(v) if v != word => break false,
            Some(_) => {}
            None if word.is_empty() || word.contains(' ') => break false,
            None => bound.push((name.to_owned(), word.to_owned())),
        }
        rest = &r[end..];
    }
    .then(|| b.extend(bound))
    .is_some()
}

/// Match `want` (with `...` lines) against `got`; `prefix`: `got` may go on.
/// Returns how many lines of `got` were matched, and binds the names.
fn match_lines(want: &[String], got: &[String], b: &mut Bindings, prefix: bool) -> Option<usize> {
    match want.first() {
        None => (prefix || got.is_empty()).then_some(0),
        Some(w) if w == "..." => {
            for skip in 0..=got.len() {
                let mut b2 = b.clone();
                if let Some(n) = match_lines(&want[1..], &got[skip..], &mut b2, prefix) {
                    *b = b2;
                    return Some(skip + n);
                }
            }
            None
        }
        Some(w) => {
            let g = got.first()?;
            let mut b2 = b.clone();
            if !match_line(w, g, &mut b2) {
                return None;
            }
            let n = match_lines(&want[1..], &got[1..], &mut b2, prefix)?;
            *b = b2;
            Some(n + 1)
        }
    }
}

/// Split a command line into words: `'…'` and `"…"` quote, `~/` at the start of
/// a word is `home`.
fn words(line: &str, home: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quote = None;
    let mut started = false;
    for c in line.chars() {
        match (quote, c) {
            (None, ' ') => {
                if started {
                    out.push(std::mem::take(&mut cur));
                    started = false;
                }
            }
            (None, '\'' | '"') => {
                quote = Some(c);
                started = true;
            }
            (Some(q), c) if c == q => quote = None,
            (_, c) => {
                if !started && c == '~' && quote.is_none() {
                    cur.push_str(&home.display().to_string());
                } else {
                    cur.push(c);
                }
                started = true;
            }
        }
    }
    if started {
        out.push(cur);
    }
    out
}

/// A background command and what it printed (a file both its outputs go to).
struct Job {
    child: Child,
    log: PathBuf,
    /// Lines of its output already matched.
    seen: usize,
}

struct Run {
    root: PathBuf,
    /// Each machine's `export`s.
    env: BTreeMap<String, Vec<(String, String)>>,
    /// Each port the page shows, and the one used.
    ports: Vec<(String, String)>,
    b: Bindings,
    jobs: BTreeMap<String, Vec<Job>>,
    last_code: i32,
}

impl Run {
    fn home(&self, machine: &str) -> PathBuf {
        let h = self.root.join(machine);
        std::fs::create_dir_all(&h).unwrap();
        h
    }

    /// The command line with its names and ports filled in.
    fn fill(&self, line: &str) -> String {
        let mut s = line.to_owned();
        for (k, v) in &self.b {
            s = s.replace(&format!("{{{{{k}}}}}"), v);
        }
        for (shown, real) in &self.ports {
            s = s.replace(shown, real);
        }
        assert!(!s.contains("{{"), "an unknown name in `{line}`");
        s
    }

    /// Output lines as the page shows them: `~` for the home, the page's ports.
    fn shown(&self, text: &str, home: &Path) -> Vec<String> {
        let mut s = text.replace(&home.display().to_string(), "~");
        for (shown, real) in &self.ports {
            s = s.replace(real, shown);
        }
        s.lines().map(|l| l.trim_end().to_owned()).collect()
    }

    fn spawn(&mut self, machine: &str, args: &[String], log: &Path) -> Child {
        let home = self.home(machine);
        let out = File::create(log).unwrap();
        let err = out.try_clone().unwrap();
        Command::new(BIN)
            .args(&args[1..])
            .current_dir(&home)
            .env("HOME", &home)
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("PANORAMIX_CONFIG")
            .env("NO_COLOR", "1")
            .envs(self.env.get(machine).into_iter().flatten().cloned())
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap()
    }

    /// Run one command; what it printed, as the page shows it.
    fn command(&mut self, machine: &str, line: &str, n: usize) -> Option<Vec<String>> {
        let home = self.home(machine);
        let filled = self.fill(line);
        let (filled, background) = match filled.strip_suffix(" &") {
            Some(f) => (f.to_owned(), true),
            None => (filled, false),
        };
        let args = words(&filled, &home);
        match args[0].as_str() {
            "export" => {
                let (k, v) = args[1].split_once('=').unwrap();
                let env = self.env.entry(machine.to_owned()).or_default();
                env.push((k.to_owned(), v.to_owned()));
                return Some(Vec::new());
            }
            "echo" if args[1] == "$?" => return Some(vec![self.last_code.to_string()]),
            "wait" => return None,
            "curl" => {
                self.last_code = 0;
                return Some(self.shown(&curl(&args[1..]), &home));
            }
            "panoramix" => {}
            other => panic!("the page runs `{other}`: not a command this test knows"),
        }
        let log = self.root.join(format!("{machine}-{n}.log"));
        let mut child = self.spawn(machine, &args, &log);
        if background {
            self.last_code = 0;
            self.jobs.entry(machine.to_owned()).or_default().push(Job {
                child,
                log,
                seen: 0,
            });
            return None;
        }
        let deadline = Instant::now() + BOUND;
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("`{line}` on {machine} did not end");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        self.last_code = status.code().unwrap_or(-1);
        Some(self.shown(&std::fs::read_to_string(&log).unwrap(), &home))
    }

    /// The newest background job of `machine` prints `want` first.
    fn expect_started(&mut self, machine: &str, want: &[String], line: &str) {
        let home = self.home(machine);
        let deadline = Instant::now() + BOUND;
        loop {
            let job = self.jobs.get_mut(machine).unwrap().last_mut().unwrap();
            let text = std::fs::read_to_string(&job.log).unwrap();
            let ended = job.child.try_wait().unwrap().is_some();
            let got = self.shown(&text, &home);
            let mut b = self.b.clone();
            if let Some(n) = match_lines(want, &got, &mut b, true) {
                self.b = b;
                self.jobs.get_mut(machine).unwrap().last_mut().unwrap().seen = n;
                return;
            }
            assert!(
                !ended && Instant::now() < deadline,
                "`{line}` on {machine} printed\n{}\ninstead of\n{}",
                got.join("\n"),
                want.join("\n")
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// `wait`: the machine's background jobs end; the rest of their output.
    fn wait(&mut self, machine: &str) -> Vec<String> {
        let home = self.home(machine);
        let deadline = Instant::now() + BOUND;
        let mut out = Vec::new();
        for mut job in self.jobs.remove(machine).unwrap_or_default() {
            while job.child.try_wait().unwrap().is_none() {
                assert!(Instant::now() < deadline, "a job on {machine} did not end");
                std::thread::sleep(Duration::from_millis(100));
            }
            let text = std::fs::read_to_string(&job.log).unwrap();
            out.extend(self.shown(&text, &home).into_iter().skip(job.seen));
        }
        out
    }
}

/// A small `curl`: `-s`, `--retry N` (a 5xx answer or no answer is tried again,
/// a second apart), `-X METHOD`, `-H 'K: V'`, `-d DATA`, one URL; the body.
fn curl(args: &[String]) -> String {
    let (mut method, mut headers, mut data, mut url) = (None, Vec::new(), None, None);
    let mut retries = 0;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-s" => {}
            "--retry" => retries = it.next().unwrap().parse().unwrap(),
            "-X" => method = it.next().cloned(),
            "-H" => headers.push(it.next().unwrap().clone()),
            "-d" => data = it.next().cloned(),
            u => url = Some(u.to_owned()),
        }
    }
    let method = method.unwrap_or_else(|| if data.is_some() { "POST" } else { "GET" }.into());
    let url = url.expect("a URL");
    for attempt in 0..=retries {
        let mut req = ureq::request(&method, &url);
        for h in &headers {
            let (k, v) = h.split_once(':').unwrap();
            req = req.set(k.trim(), v.trim());
        }
        let r = match &data {
            Some(d) => req.send_string(d),
            None => req.call(),
        };
        let again = attempt < retries;
        match r {
            Ok(r) => return r.into_string().unwrap(),
            Err(ureq::Error::Status(s, _)) if s >= 500 && again => {}
            Err(ureq::Error::Status(_, r)) => return r.into_string().unwrap(),
            Err(_) if again => {}
            Err(e) => panic!("curl {url}: {e}"),
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    unreachable!("the last attempt returns")
}

/// The output lines under each command of a block: (command, lines).
fn commands(block: &Block) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for l in &block.lines {
        match l.strip_prefix("$ ") {
            Some(c) => out.push((c.to_owned(), Vec::new())),
            None => out
                .last_mut()
                .unwrap_or_else(|| panic!("line {}: output before a command", block.at))
                .1
                .push(l.trim_end().to_owned()),
        }
    }
    out
}

#[test]
fn the_operators_page_shows_what_the_commands_print() {
    if skip_on_worker("the page runs `panoramix serve`") {
        return;
    }
    let page =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/operators.md"))
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut run = Run {
        root: dir.path().to_owned(),
        env: BTreeMap::new(),
        ports: ["127.0.0.1:8000", "127.0.0.1:5000"]
            .iter()
            .map(|p| (p.to_string(), format!("127.0.0.1:{}", free_port())))
            .collect(),
        b: Bindings::new(),
        jobs: BTreeMap::new(),
        last_code: 0,
    };
    let all = blocks(&page);
    assert!(all.len() >= 10, "the page's console blocks: {}", all.len());
    let mut n = 0;
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        for block in &all {
            // a command that fails is shown with `echo $?` right after it
            let mut failed: Option<String> = None;
            for (cmd, want) in commands(block) {
                n += 1;
                let m = &block.machine;
                if let Some(f) = failed.take() {
                    assert_eq!(cmd, "echo $?", "`{f}` failed on {m}: {}", run.last_code);
                }
                let got = match run.command(m, &cmd, n) {
                    Some(got) => got,
                    None if cmd == "wait" => run.wait(m),
                    None => {
                        run.expect_started(m, &want, &cmd);
                        continue;
                    }
                };
                let mut b = run.b.clone();
                assert!(
                    match_lines(&want, &got, &mut b, false).is_some(),
                    "docs/operators.md line {}: `{cmd}` on {m} printed\n{}\ninstead of\n{}",
                    block.at,
                    got.join("\n"),
                    want.join("\n")
                );
                run.b = b;
                if cmd.starts_with("panoramix") && run.last_code != 0 {
                    failed = Some(cmd);
                }
            }
            assert!(failed.is_none(), "{failed:?} failed on {}", block.machine);
        }
    }));
    for jobs in run.jobs.values_mut() {
        for j in jobs {
            let _ = j.child.kill();
            let _ = j.child.wait();
        }
    }
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

#[test]
fn placeholders_bind_words_and_dots_skip_lines() {
    let mut b = Bindings::new();
    assert!(match_line(
        "key {{k}} (fingerprint {{f}})",
        "key ab12 (fingerprint ab)",
        &mut b
    ));
    assert_eq!(b["k"], "ab12");
    assert!(match_line("again {{k}}", "again ab12", &mut b));
    assert!(!match_line("again {{k}}", "again cd34", &mut b));
    assert!(!match_line("x {{y}}", "x two words", &mut b));
    let l = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let want = l(&["a", "...", "z {{z}}"]);
    assert_eq!(
        match_lines(&want, &l(&["a", "b", "c", "z 1"]), &mut b, false),
        Some(4)
    );
    assert_eq!(
        match_lines(&want, &l(&["a", "z 1", "q"]), &mut b, false),
        None
    );
    assert_eq!(
        match_lines(&want, &l(&["a", "z 1", "q"]), &mut b, true),
        Some(2)
    );
    assert_eq!(
        words("a 'b c' \"d|e\" ~/x", Path::new("/h")),
        l(&["a", "b c", "d|e", "/h/x"])
    );
}
