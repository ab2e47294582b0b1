//! Metrics of the native server, exposed in the Prometheus text format 0.0.4 by the
//! `prometheus-client` crate. What is ours: which metrics, their names, labels, help
//! texts and buckets.
//!
//! Counted in-process: requests (by method, route class and status), rejections (by
//! the `ApiError` stable code), request durations, endpoint transitions and cycle
//! durations (from the controller's [`Event`]s). Read at scrape time: uptime, the
//! store's write statistics, and from the database the endpoints by status and the
//! INBOX depth of the open endpoints (at most [`MAX_INBOX_SERIES`] series). Every
//! label value comes from a fixed set, except endpoint ids (public in
//! `GET /panoramix/endpoints/`, and bounded in number); no key, signature, nonce or
//! message content is ever a label.

use panoramix_controller::store::{SqlValue, Store, Tx};
use panoramix_controller::{ApiError, Event};
use panoramix_core::model::ENDPOINT_TYPES;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::prometheus_text::encode;
use prometheus_client::metrics::counter::{ConstCounter, Counter};
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::{ConstGauge, Gauge};
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The content type of the text exposition format 0.0.4.
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// Most `panoramix_inbox_depth` series one scrape reports (the deepest open inboxes).
pub const MAX_INBOX_SERIES: i64 = 100;

/// The prefix of every metric name.
const PREFIX: &str = "panoramix";

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

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: &'static str,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TransitionLabels {
    to: &'static str,
    endpoint_type: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointTypeLabels {
    endpoint_type: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EndpointIdLabels {
    endpoint_id: String,
}

/// A family of histograms that all have the same buckets.
type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

fn request_histogram() -> Histogram {
    Histogram::new(REQUEST_BUCKETS.iter().copied())
}

fn cycle_histogram() -> Histogram {
    Histogram::new(CYCLE_BUCKETS.iter().copied())
}

/// The in-process metrics of one server (the registry and handles to its
/// metrics, which update it).
#[derive(Debug)]
pub struct Metrics {
    started: Instant,
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    durations: Histograms<RouteLabels>,
    rejections: Family<ReasonLabels, Counter>,
    transitions: Family<TransitionLabels, Counter>,
    accepted: Counter,
    cycles: Histograms<EndpointTypeLabels>,
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

/// A 500 `internal` answer with this message for the log.
fn internal(message: &str) -> ApiError {
    ApiError::Internal(message.into())
}

/// Column `i` of a metrics query row as text; anything else is an error that names
/// the query.
fn text_col(row: &[SqlValue], i: usize, query: &str) -> Result<String, ApiError> {
    match row.get(i) {
        Some(SqlValue::Text(s)) => Ok(s.clone()),
        other => Err(internal(&format!(
            "metrics query {query}: column {i} is {other:?}, not text"
        ))),
    }
}

/// Column `i` of a metrics query row as an integer.
fn int_col(row: &[SqlValue], i: usize, query: &str) -> Result<i64, ApiError> {
    match row.get(i) {
        Some(SqlValue::Int(n)) => Ok(*n),
        other => Err(internal(&format!(
            "metrics query {query}: column {i} is {other:?}, not an integer"
        ))),
    }
}

impl DbGauges {
    /// Read the gauges in one read transaction.
    pub fn read<S: Store>(store: &mut S) -> Result<DbGauges, ApiError> {
        store.read(|tx: &mut dyn Tx| {
            let mut g = DbGauges::default();
            for s in ["OPEN", "CLOSED", "PROCESSED"] {
                g.endpoints.insert(s.to_owned(), 0);
            }
            let by_status =
                "SELECT status, COUNT(*), SUM(inbox_count) FROM endpoints GROUP BY status";
            for r in tx.query(by_status, &[])? {
                let status = text_col(&r, 0, "by status")?;
                if status == "OPEN" {
                    g.open_inbox_messages = int_col(&r, 2, "by status")?;
                }
                g.endpoints.insert(status, int_col(&r, 1, "by status")?);
            }
            // while an endpoint is OPEN nothing leaves its INBOX, so inbox_count is
            // the number of messages waiting in it
            for r in tx.query(
                "SELECT endpoint_id, inbox_count FROM endpoints WHERE status = 'OPEN' ORDER BY inbox_count DESC, endpoint_id LIMIT ?1",
                &[MAX_INBOX_SERIES.into()],
            )? {
                let id = text_col(&r, 0, "inbox depth")?;
                g.inbox_depth.push((id, int_col(&r, 1, "inbox depth")?));
            }
            Ok(g)
        })
    }
}

impl Metrics {
    /// Fresh metrics; every rejection code and transition starts at 0.
    pub fn new() -> Self {
        let requests = Family::<RequestLabels, Counter>::default();
        let durations = Histograms::<RouteLabels>::new_with_constructor(request_histogram);
        let rejections = Family::<ReasonLabels, Counter>::default();
        for e in panoramix_controller::error::all_examples() {
            rejections.get_or_create_owned(&ReasonLabels { reason: e.code() });
        }
        let transitions = Family::<TransitionLabels, Counter>::default();
        for to in ["CLOSED", "PROCESSED"] {
            for endpoint_type in ENDPOINT_TYPES {
                transitions.get_or_create_owned(&TransitionLabels { to, endpoint_type });
            }
        }
        let accepted = Counter::default();
        let cycles = Histograms::<EndpointTypeLabels>::new_with_constructor(cycle_histogram);

        let mut r = Registry::with_prefix(PREFIX);
        r.register(
            "build",
            "Always 1; the version of the running server",
            Info::new([("version", env!("CARGO_PKG_VERSION"))]),
        );
        r.register(
            "http_requests",
            "HTTP requests answered, by method, route class and status",
            requests.clone(),
        );
        r.register(
            "http_request_duration_seconds",
            "Time from receiving a request to its answer, by route class",
            durations.clone(),
        );
        r.register(
            "rejections",
            "Requests refused, by reason (the stable error code of the answer)",
            rejections.clone(),
        );
        r.register(
            "endpoint_transitions",
            "Endpoint closes (to=CLOSED) and processes (to=PROCESSED), by endpoint type",
            transitions.clone(),
        );
        r.register(
            "accepted_messages",
            "Messages taken from INBOXes into ACCEPTED by closes",
            accepted.clone(),
        );
        r.register(
            "cycle_duration_seconds",
            "Controller time from an endpoint's close to its process, by endpoint type",
            cycles.clone(),
        );
        Metrics {
            started: Instant::now(),
            registry: r,
            requests,
            durations,
            rejections,
            transitions,
            accepted,
            cycles,
        }
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
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
        self.durations
            .get_or_create(&RouteLabels { route })
            .observe(took.as_secs_f64());
        if let Some(reason) = rejected {
            self.rejections
                .get_or_create(&ReasonLabels { reason })
                .inc();
        }
    }

    /// Count what the controller reported.
    pub fn events(&self, events: &[Event]) {
        for e in events {
            match e {
                Event::EndpointClosed {
                    endpoint_type,
                    accepted,
                } => {
                    let endpoint_type = endpoint_type_label(endpoint_type);
                    let to = "CLOSED";
                    self.transitions
                        .get_or_create(&TransitionLabels { to, endpoint_type })
                        .inc();
                    self.accepted.inc_by(*accepted);
                }
                Event::EndpointProcessed {
                    endpoint_type,
                    cycle_micros,
                } => {
                    let endpoint_type = endpoint_type_label(endpoint_type);
                    let to = "PROCESSED";
                    self.transitions
                        .get_or_create(&TransitionLabels { to, endpoint_type })
                        .inc();
                    if let Some(us) = cycle_micros {
                        self.cycles
                            .get_or_create(&EndpointTypeLabels { endpoint_type })
                            .observe(*us as f64 / 1e6);
                    }
                }
            }
        }
    }

    /// The whole exposition: the in-process metrics, the uptime, the store's write
    /// statistics (`(write requests, commits)`) and the database gauges (`None` if
    /// the database could not be read: `panoramix_db_up` is then 0, and the
    /// database gauges are left out).
    pub fn render(
        &self,
        store_stats: (u64, u64),
        db: Option<&DbGauges>,
    ) -> Result<String, std::fmt::Error> {
        let mut text = String::new();
        encode(&mut text, &self.registry)?;
        encode(&mut text, &self.scrape_registry(store_stats, db))?;
        Ok(text)
    }

    /// A registry of the values read at scrape time.
    fn scrape_registry(&self, store_stats: (u64, u64), db: Option<&DbGauges>) -> Registry {
        let mut r = Registry::with_prefix(PREFIX);
        r.register(
            "uptime_seconds",
            "Seconds since the server started",
            ConstGauge::new(self.started.elapsed().as_secs_f64()),
        );
        let (writes, commits) = store_stats;
        r.register(
            "store_write_requests",
            "Write requests run by the SQLite store",
            ConstCounter::new(writes),
        );
        r.register(
            "store_commits",
            "Group commits of the SQLite store",
            ConstCounter::new(commits),
        );
        r.register(
            "db_up",
            "1 if the database answered this scrape's queries, else 0",
            ConstGauge::new(i64::from(db.is_some())),
        );
        let Some(g) = db else { return r };
        let endpoints = Family::<StatusLabels, Gauge>::default();
        for (status, n) in &g.endpoints {
            let status = status.clone();
            endpoints.get_or_create(&StatusLabels { status }).set(*n);
        }
        r.register("endpoints", "Endpoints, by status", endpoints);
        r.register(
            "open_inbox_messages",
            "Messages waiting in the INBOXes of all OPEN endpoints",
            ConstGauge::new(g.open_inbox_messages),
        );
        let depth = Family::<EndpointIdLabels, Gauge>::default();
        for (id, n) in &g.inbox_depth {
            let endpoint_id = id.clone();
            depth
                .get_or_create(&EndpointIdLabels { endpoint_id })
                .set(*n);
        }
        r.register(
            "inbox_depth",
            "Messages waiting in the INBOX of an OPEN endpoint (the deepest 100 endpoints)",
            depth,
        );
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_are_announced_with_our_names_help_and_types() {
        let m = Metrics::new();
        m.request("GET", "healthz", 200, None, Duration::from_micros(700));
        let mut g = DbGauges::default();
        g.endpoints.insert("OPEN".into(), 1);
        // the one label whose values are not from a fixed set is escaped
        g.inbox_depth.push(("q\"b\\s\nn".into(), 2));
        let text = m.render((0, 0), Some(&g)).unwrap();
        for line in [
            "# HELP panoramix_build_info Always 1; the version of the running server.",
            "# TYPE panoramix_build_info gauge",
            concat!(
                "panoramix_build_info{version=\"",
                env!("CARGO_PKG_VERSION"),
                "\"} 1"
            ),
            "# HELP panoramix_http_requests_total HTTP requests answered, by method, route class and status.",
            "# TYPE panoramix_http_requests_total counter",
            "# TYPE panoramix_http_request_duration_seconds histogram",
            "panoramix_http_request_duration_seconds_bucket{route=\"healthz\",le=\"0.001\"} 1",
            "panoramix_http_request_duration_seconds_bucket{route=\"healthz\",le=\"10\"} 1",
            "panoramix_http_request_duration_seconds_bucket{route=\"healthz\",le=\"+Inf\"} 1",
            "# TYPE panoramix_rejections_total counter",
            "# TYPE panoramix_endpoint_transitions_total counter",
            "# TYPE panoramix_accepted_messages_total counter",
            "panoramix_accepted_messages_total 0",
            "# TYPE panoramix_uptime_seconds gauge",
            "# TYPE panoramix_store_write_requests_total counter",
            "# TYPE panoramix_store_commits_total counter",
            "# TYPE panoramix_db_up gauge",
            "# TYPE panoramix_endpoints gauge",
            "panoramix_endpoints{status=\"OPEN\"} 1",
            "# TYPE panoramix_open_inbox_messages gauge",
            "# HELP panoramix_inbox_depth Messages waiting in the INBOX of an OPEN endpoint (the deepest 100 endpoints).",
            "# TYPE panoramix_inbox_depth gauge",
            "panoramix_inbox_depth{endpoint_id=\"q\\\"b\\\\s\\nn\"} 2",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line} in\n{text}");
        }
        // no cycle yet: its family has no series and is left out
        assert!(!text.contains("panoramix_cycle_duration_seconds"));
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
        let text = m.render((10, 4), Some(&g)).unwrap();
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
        let down = m.render((0, 0), None).unwrap();
        assert!(down.contains("\npanoramix_db_up 0\n"));
        assert!(!down.contains("panoramix_inbox_depth"));
    }
}
