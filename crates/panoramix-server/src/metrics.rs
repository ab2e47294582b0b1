//! Metrics of the native server in the Prometheus text exposition format 0.0.4,
//! written by hand (no metrics crate).
//!
//! Counted in-process: requests (by method, route class and status), rejections (by
//! the `ApiError` stable code), request durations, endpoint transitions and cycle
//! durations (from the controller's [`Event`]s). Read from the database at scrape
//! time: endpoints by status and the INBOX depth of the open endpoints (at most
//! [`MAX_INBOX_SERIES`] series). Every label value comes from a fixed set, except
//! endpoint ids (public in `GET /panoramix/endpoints/`, and bounded in number); no
//! key, signature, nonce or message content is ever a label.

use panoramix_controller::Event;
use panoramix_controller::store::{Store, Tx};
use panoramix_core::model::ENDPOINT_TYPES;
use std::collections::BTreeMap;
use std::fmt::{Display, Write as _};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The content type of the text exposition format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Most `panoramix_inbox_depth` series one scrape reports (the deepest open inboxes).
pub const MAX_INBOX_SERIES: i64 = 100;

/// Upper bounds of the request duration buckets, seconds.
const REQUEST_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// Upper bounds of the cycle duration buckets, seconds (a second to a day).
const CYCLE_BUCKETS: &[f64] = &[
    1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0, 1800.0, 3600.0, 10800.0, 21600.0, 43200.0, 86400.0,
];

/// The route classes of `/panoramix/` (the first path segment); anything else
/// under `/panoramix` is `unknown`.
const ROUTES: &[&str] = &[
    "controller",
    "negotiations",
    "contributions",
    "peers",
    "roles",
    "endpoints",
    "messages",
    "audit",
];

/// The route class of a path: a bounded label value.
pub fn route_class(path: &str) -> &'static str {
    match path {
        "/healthz" => return "healthz",
        "/metrics" => return "metrics",
        _ => {}
    }
    let rest = match path.strip_prefix("/panoramix") {
        Some(r) if r.is_empty() || r.starts_with('/') => r,
        _ => return "static",
    };
    let first = rest.split('/').find(|s| !s.is_empty()).unwrap_or("");
    ROUTES
        .iter()
        .find(|r| **r == first)
        .copied()
        .unwrap_or("unknown")
}

/// The method as a bounded label value.
pub fn method_class(m: &str) -> &'static str {
    match m {
        "GET" => "GET",
        "POST" => "POST",
        "PATCH" => "PATCH",
        "OPTIONS" => "OPTIONS",
        "HEAD" => "HEAD",
        _ => "other",
    }
}

fn endpoint_type_label(t: &str) -> &'static str {
    ENDPOINT_TYPES
        .iter()
        .find(|e| **e == t)
        .copied()
        .unwrap_or("other")
}

/// A histogram with fixed buckets.
#[derive(Debug, Clone)]
pub struct Histogram {
    bounds: &'static [f64],
    /// Observations per bucket (not cumulative); the last one is `+Inf`.
    counts: Vec<u64>,
    sum: f64,
    count: u64,
}

impl Histogram {
    fn new(bounds: &'static [f64]) -> Self {
        Histogram {
            bounds,
            counts: vec![0; bounds.len() + 1],
            sum: 0.0,
            count: 0,
        }
    }

    fn observe(&mut self, v: f64) {
        let i = self
            .bounds
            .iter()
            .position(|b| v <= *b)
            .unwrap_or(self.bounds.len());
        self.counts[i] += 1;
        self.sum += v;
        self.count += 1;
    }
}

/// A writer of the text exposition format 0.0.4.
#[derive(Debug, Default)]
pub struct Exposition {
    out: String,
}

fn escape_label(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s
}

fn format_float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v == f64::INFINITY {
        "+Inf".into()
    } else if v == f64::NEG_INFINITY {
        "-Inf".into()
    } else {
        format!("{v}")
    }
}

impl Exposition {
    /// An empty exposition.
    pub fn new() -> Self {
        Self::default()
    }

    /// The `# HELP` and `# TYPE` lines of a metric family.
    pub fn family(&mut self, name: &str, kind: &str, help: &str) {
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    /// One sample line.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: impl Display) {
        self.out.push_str(name);
        if !labels.is_empty() {
            self.out.push('{');
            for (i, (k, v)) in labels.iter().enumerate() {
                if i > 0 {
                    self.out.push(',');
                }
                let _ = write!(self.out, "{k}=\"{}\"", escape_label(v));
            }
            self.out.push('}');
        }
        let _ = writeln!(self.out, " {value}");
    }

    /// One float sample (`+Inf`, `-Inf` and `NaN` spelled as the format wants).
    pub fn sample_f64(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.sample(name, labels, format_float(value));
    }

    /// The `_bucket`, `_sum` and `_count` samples of a histogram.
    pub fn histogram(&mut self, name: &str, labels: &[(&str, &str)], h: &Histogram) {
        let bucket = format!("{name}_bucket");
        let mut cumulative = 0u64;
        for (i, n) in h.counts.iter().enumerate() {
            cumulative += n;
            let le = h
                .bounds
                .get(i)
                .map_or_else(|| "+Inf".to_owned(), |b| format_float(*b));
            let mut l = labels.to_vec();
            l.push(("le", &le));
            self.sample(&bucket, &l, cumulative);
        }
        self.sample_f64(&format!("{name}_sum"), labels, h.sum);
        self.sample(&format!("{name}_count"), labels, h.count);
    }

    /// The text.
    pub fn finish(self) -> String {
        self.out
    }
}

#[derive(Debug)]
struct Counters {
    /// (method, route, status) → requests.
    requests: BTreeMap<(&'static str, &'static str, u16), u64>,
    /// route → request durations.
    durations: BTreeMap<&'static str, Histogram>,
    /// code → rejections.
    rejections: BTreeMap<&'static str, u64>,
    /// (to status, endpoint type) → transitions.
    transitions: BTreeMap<(&'static str, &'static str), u64>,
    /// endpoint type → cycle durations.
    cycles: BTreeMap<&'static str, Histogram>,
    /// Messages taken into ACCEPTED by closes.
    accepted: u64,
}

/// The in-process metrics of one server.
#[derive(Debug)]
pub struct Metrics {
    started: Instant,
    counters: Mutex<Counters>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

/// What the database says at scrape time.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct DbGauges {
    /// Endpoints by status.
    pub endpoints: BTreeMap<String, i64>,
    /// Messages waiting in the INBOX of every OPEN endpoint, summed.
    pub open_inbox_messages: i64,
    /// INBOX depth of the deepest OPEN endpoints, at most [`MAX_INBOX_SERIES`].
    pub inbox_depth: Vec<(String, i64)>,
}

impl DbGauges {
    /// Read the gauges in one read transaction.
    pub fn read<S: Store>(store: &mut S) -> Result<DbGauges, panoramix_controller::ApiError> {
        store.read(|tx: &mut dyn Tx| {
            let mut g = DbGauges::default();
            for s in ["OPEN", "CLOSED", "PROCESSED"] {
                g.endpoints.insert(s.to_owned(), 0);
            }
            for r in tx.query(
                "SELECT status, COUNT(*), SUM(inbox_count) FROM endpoints GROUP BY status",
                &[],
            )? {
                let status = r.first().and_then(|v| v.as_str()).unwrap_or("").to_owned();
                let n = r.get(1).and_then(|v| v.as_i64()).unwrap_or(0);
                if status == "OPEN" {
                    g.open_inbox_messages = r.get(2).and_then(|v| v.as_i64()).unwrap_or(0);
                }
                g.endpoints.insert(status, n);
            }
            // while an endpoint is OPEN nothing leaves its INBOX, so inbox_count is
            // the number of messages waiting in it
            for r in tx.query(
                "SELECT endpoint_id, inbox_count FROM endpoints WHERE status = 'OPEN' ORDER BY inbox_count DESC, endpoint_id LIMIT ?1",
                &[MAX_INBOX_SERIES.into()],
            )? {
                let id = r.first().and_then(|v| v.as_str()).unwrap_or("").to_owned();
                let n = r.get(1).and_then(|v| v.as_i64()).unwrap_or(0);
                g.inbox_depth.push((id, n));
            }
            Ok(g)
        })
    }
}

impl Metrics {
    /// Fresh metrics; every rejection code, route and transition starts at 0.
    pub fn new() -> Self {
        let rejections = panoramix_controller::error::all_examples()
            .iter()
            .map(|e| (e.code(), 0))
            .collect();
        Metrics {
            started: Instant::now(),
            counters: Mutex::new(Counters {
                requests: BTreeMap::new(),
                durations: BTreeMap::new(),
                rejections,
                transitions: BTreeMap::new(),
                cycles: BTreeMap::new(),
                accepted: 0,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counters> {
        self.counters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Count one answered request; `rejected` is the `ApiError` code of an error
    /// answer.
    pub fn request(
        &self,
        method: &'static str,
        route: &'static str,
        status: u16,
        rejected: Option<&'static str>,
        took: Duration,
    ) {
        let mut c = self.lock();
        *c.requests.entry((method, route, status)).or_default() += 1;
        c.durations
            .entry(route)
            .or_insert_with(|| Histogram::new(REQUEST_BUCKETS))
            .observe(took.as_secs_f64());
        if let Some(code) = rejected {
            *c.rejections.entry(code).or_default() += 1;
        }
    }

    /// Count what the controller reported.
    pub fn events(&self, events: &[Event]) {
        if events.is_empty() {
            return;
        }
        let mut c = self.lock();
        for e in events {
            match e {
                Event::EndpointClosed {
                    endpoint_type,
                    accepted,
                } => {
                    let t = endpoint_type_label(endpoint_type);
                    *c.transitions.entry(("CLOSED", t)).or_default() += 1;
                    c.accepted += accepted;
                }
                Event::EndpointProcessed {
                    endpoint_type,
                    cycle_micros,
                } => {
                    let t = endpoint_type_label(endpoint_type);
                    *c.transitions.entry(("PROCESSED", t)).or_default() += 1;
                    if let Some(us) = cycle_micros {
                        c.cycles
                            .entry(t)
                            .or_insert_with(|| Histogram::new(CYCLE_BUCKETS))
                            .observe(*us as f64 / 1e6);
                    }
                }
            }
        }
    }

    /// The whole exposition: the in-process counters, the store's write statistics
    /// (`(write requests, commits)`) and the database gauges (`None` if the
    /// database could not be read: `panoramix_db_up` is then 0).
    pub fn render(&self, store_stats: (u64, u64), db: Option<&DbGauges>) -> String {
        let c = self.lock();
        let mut x = Exposition::new();
        x.family(
            "panoramix_build_info",
            "gauge",
            "Always 1; the version of the running server.",
        );
        x.sample(
            "panoramix_build_info",
            &[("version", env!("CARGO_PKG_VERSION"))],
            1,
        );
        x.family(
            "panoramix_uptime_seconds",
            "gauge",
            "Seconds since the server started.",
        );
        x.sample_f64(
            "panoramix_uptime_seconds",
            &[],
            self.started.elapsed().as_secs_f64(),
        );

        x.family(
            "panoramix_http_requests_total",
            "counter",
            "HTTP requests answered, by method, route class and status.",
        );
        for ((m, r, s), n) in &c.requests {
            x.sample(
                "panoramix_http_requests_total",
                &[("method", m), ("route", r), ("status", &s.to_string())],
                n,
            );
        }
        x.family(
            "panoramix_http_request_duration_seconds",
            "histogram",
            "Time from receiving a request to its answer, by route class.",
        );
        for (r, h) in &c.durations {
            x.histogram(
                "panoramix_http_request_duration_seconds",
                &[("route", r)],
                h,
            );
        }
        x.family(
            "panoramix_rejections_total",
            "counter",
            "Requests refused, by reason (the stable error code of the answer).",
        );
        for (code, n) in &c.rejections {
            x.sample("panoramix_rejections_total", &[("reason", code)], n);
        }

        x.family(
            "panoramix_endpoint_transitions_total",
            "counter",
            "Endpoint closes (to=CLOSED) and processes (to=PROCESSED), by endpoint type.",
        );
        for to in ["CLOSED", "PROCESSED"] {
            for t in ENDPOINT_TYPES {
                let n = c.transitions.get(&(to, *t)).copied().unwrap_or(0);
                x.sample(
                    "panoramix_endpoint_transitions_total",
                    &[("to", to), ("endpoint_type", t)],
                    n,
                );
            }
            for ((to2, t), n) in &c.transitions {
                if *to2 == to && !ENDPOINT_TYPES.contains(t) {
                    x.sample(
                        "panoramix_endpoint_transitions_total",
                        &[("to", to), ("endpoint_type", t)],
                        n,
                    );
                }
            }
        }
        x.family(
            "panoramix_accepted_messages_total",
            "counter",
            "Messages taken from INBOXes into ACCEPTED by closes.",
        );
        x.sample("panoramix_accepted_messages_total", &[], c.accepted);
        x.family(
            "panoramix_cycle_duration_seconds",
            "histogram",
            "Controller time from an endpoint's close to its process, by endpoint type.",
        );
        for (t, h) in &c.cycles {
            x.histogram(
                "panoramix_cycle_duration_seconds",
                &[("endpoint_type", t)],
                h,
            );
        }
        drop(c);

        let (writes, commits) = store_stats;
        x.family(
            "panoramix_store_write_requests_total",
            "counter",
            "Write requests run by the SQLite store.",
        );
        x.sample("panoramix_store_write_requests_total", &[], writes);
        x.family(
            "panoramix_store_commits_total",
            "counter",
            "Group commits of the SQLite store.",
        );
        x.sample("panoramix_store_commits_total", &[], commits);

        x.family(
            "panoramix_db_up",
            "gauge",
            "1 if the database answered this scrape's queries, else 0.",
        );
        x.sample("panoramix_db_up", &[], i32::from(db.is_some()));
        if let Some(g) = db {
            x.family("panoramix_endpoints", "gauge", "Endpoints, by status.");
            for (s, n) in &g.endpoints {
                x.sample("panoramix_endpoints", &[("status", s)], n);
            }
            x.family(
                "panoramix_open_inbox_messages",
                "gauge",
                "Messages waiting in the INBOXes of all OPEN endpoints.",
            );
            x.sample("panoramix_open_inbox_messages", &[], g.open_inbox_messages);
            x.family(
                "panoramix_inbox_depth",
                "gauge",
                "Messages waiting in the INBOX of an OPEN endpoint (the deepest 100 endpoints).",
            );
            for (id, n) in &g.inbox_depth {
                x.sample("panoramix_inbox_depth", &[("endpoint_id", id)], n);
            }
        }
        x.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exposition_format_0_0_4() {
        let mut x = Exposition::new();
        x.family("a_total", "counter", "Help with \\ and\nnewline.");
        x.sample("a_total", &[], 3);
        x.sample("a_total", &[("k", "v"), ("odd", "q\"b\\s\nn")], 7);
        x.sample_f64("g", &[], 0.25);
        x.sample_f64("g", &[], f64::INFINITY);
        x.sample_f64("g", &[], f64::NAN);
        let mut h = Histogram::new(&[0.5, 1.0]);
        h.observe(0.125);
        h.observe(0.5);
        h.observe(0.75);
        h.observe(2.0);
        x.family("h", "histogram", "A histogram.");
        x.histogram("h", &[("r", "x")], &h);
        assert_eq!(
            x.finish(),
            "# HELP a_total Help with \\\\ and\\nnewline.\n\
             # TYPE a_total counter\n\
             a_total 3\n\
             a_total{k=\"v\",odd=\"q\\\"b\\\\s\\nn\"} 7\n\
             g 0.25\n\
             g +Inf\n\
             g NaN\n\
             # HELP h A histogram.\n\
             # TYPE h histogram\n\
             h_bucket{r=\"x\",le=\"0.5\"} 2\n\
             h_bucket{r=\"x\",le=\"1\"} 3\n\
             h_bucket{r=\"x\",le=\"+Inf\"} 4\n\
             h_sum{r=\"x\"} 3.375\n\
             h_count{r=\"x\"} 4\n"
        );
    }

    #[test]
    fn route_and_method_classes_are_bounded() {
        assert_eq!(route_class("/panoramix/messages/"), "messages");
        assert_eq!(route_class("/panoramix/endpoints/ep_1"), "endpoints");
        assert_eq!(route_class("/panoramix"), "unknown");
        assert_eq!(route_class("/panoramix/secret-looking-thing"), "unknown");
        assert_eq!(route_class("/panoramixfoo"), "static");
        assert_eq!(route_class("/index.html"), "static");
        assert_eq!(route_class("/healthz"), "healthz");
        assert_eq!(route_class("/metrics"), "metrics");
        assert_eq!(method_class("DELETE"), "other");
        assert_eq!(method_class("POST"), "POST");
    }

    #[test]
    fn counters_and_events_render() {
        let m = Metrics::new();
        m.request("POST", "messages", 201, None, Duration::from_millis(3));
        m.request(
            "POST",
            "messages",
            401,
            Some("bad_signature"),
            Duration::from_millis(1),
        );
        m.events(&[
            Event::EndpointClosed {
                endpoint_type: "SPHINXMIX".into(),
                accepted: 4,
            },
            Event::EndpointProcessed {
                endpoint_type: "SPHINXMIX".into(),
                cycle_micros: Some(2_500_000),
            },
            Event::EndpointProcessed {
                endpoint_type: "not a type".into(),
                cycle_micros: None,
            },
        ]);
        let mut g = DbGauges::default();
        g.endpoints.insert("OPEN".into(), 1);
        g.open_inbox_messages = 5;
        g.inbox_depth.push(("gw_1".into(), 5));
        let text = m.render((10, 4), Some(&g));
        for line in [
            "panoramix_http_requests_total{method=\"POST\",route=\"messages\",status=\"201\"} 1",
            "panoramix_http_requests_total{method=\"POST\",route=\"messages\",status=\"401\"} 1",
            "panoramix_http_request_duration_seconds_count{route=\"messages\"} 2",
            "panoramix_rejections_total{reason=\"bad_signature\"} 1",
            "panoramix_rejections_total{reason=\"replay\"} 0",
            "panoramix_endpoint_transitions_total{to=\"CLOSED\",endpoint_type=\"SPHINXMIX\"} 1",
            "panoramix_endpoint_transitions_total{to=\"PROCESSED\",endpoint_type=\"other\"} 1",
            "panoramix_accepted_messages_total 4",
            "panoramix_cycle_duration_seconds_bucket{endpoint_type=\"SPHINXMIX\",le=\"1\"} 0",
            "panoramix_cycle_duration_seconds_bucket{endpoint_type=\"SPHINXMIX\",le=\"5\"} 1",
            "panoramix_cycle_duration_seconds_sum{endpoint_type=\"SPHINXMIX\"} 2.5",
            "panoramix_cycle_duration_seconds_count{endpoint_type=\"SPHINXMIX\"} 1",
            "panoramix_store_write_requests_total 10",
            "panoramix_store_commits_total 4",
            "panoramix_db_up 1",
            "panoramix_endpoints{status=\"OPEN\"} 1",
            "panoramix_open_inbox_messages 5",
            "panoramix_inbox_depth{endpoint_id=\"gw_1\"} 5",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line} in\n{text}");
        }
        // every sample belongs to a family announced before it, once
        let mut announced = Vec::new();
        for l in text.lines() {
            if let Some(rest) = l.strip_prefix("# TYPE ") {
                let name = rest.split(' ').next().unwrap_or_default();
                assert!(!announced.contains(&name.to_owned()), "{name} twice");
                announced.push(name.to_owned());
            } else if !l.starts_with('#') {
                let name = l.split(['{', ' ']).next().unwrap_or_default();
                let base = ["_bucket", "_sum", "_count"]
                    .iter()
                    .find_map(|s| name.strip_suffix(s))
                    .filter(|b| announced.last().is_some_and(|a| a == b))
                    .unwrap_or(name);
                assert_eq!(announced.last().map(String::as_str), Some(base), "{l}");
            }
        }
        let down = m.render((0, 0), None);
        assert!(down.contains("\npanoramix_db_up 0\n"));
        assert!(!down.contains("panoramix_inbox_depth"));
    }
}
