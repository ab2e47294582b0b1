//! The box queries read one index range in id order, without sorting: a
//! 100,000-message box is paged out in a few answers, and a page that scanned
//! and sorted the whole box made every download quadratic (issue 15).

use panoramix_controller::store::{BOX_ROWS, SCHEMA};
use rusqlite::Connection;

fn plan(c: &Connection, sql: &str) -> String {
    let mut st = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
    let rows = st
        .query_map(("e", "INBOX", 0), |r| r.get::<_, String>(3))
        .unwrap();
    rows.map(Result::unwrap).collect::<Vec<_>>().join("; ")
}

fn schema() -> Connection {
    let c = Connection::open_in_memory().unwrap();
    for s in SCHEMA {
        c.execute(s, []).unwrap();
    }
    // a controller's table: many endpoints, four boxes each
    for i in 0..8000 {
        c.execute(
            "INSERT INTO messages (endpoint_id, box, serial, sender, recipient, text, message_hash, text_hash, created_at) VALUES (?1, ?2, ?3, 's', 'r', 't', ?4, ?5, 0)",
            (
                if i % 20 == 0 { "e".to_owned() } else { format!("e{}", i % 20) },
                ["INBOX", "ACCEPTED", "PROCESSBOX", "OUTBOX"][(i / 20) % 4],
                (i % 7) as i64,
                format!("m{i}"),
                format!("t{i}"),
            ),
        )
        .unwrap();
    }
    c.execute("ANALYZE", []).unwrap();
    c
}

#[test]
fn a_box_is_read_in_id_order_from_one_index_range() {
    let c = schema();
    for sql in [
        format!("SELECT id, text {BOX_ROWS} LIMIT 1000"),
        format!("SELECT octet_length(text) {BOX_ROWS} LIMIT 1000"),
    ] {
        let p = plan(&c, &sql);
        assert!(p.contains("messages_order"), "{sql}: {p}");
        assert!(
            p.contains("rowid>?"),
            "the id bound is not in the range: {p}"
        );
        assert!(!p.contains("TEMP B-TREE"), "{sql} sorts: {p}");
    }
}

#[test]
fn the_old_index_is_dropped_by_the_migration() {
    let c = Connection::open_in_memory().unwrap();
    for s in SCHEMA {
        c.execute(s, []).unwrap();
    }
    // a database made before: the old index present
    c.execute(
        "CREATE INDEX messages_box ON messages (endpoint_id, box, serial, id)",
        [],
    )
    .unwrap();
    for s in SCHEMA {
        c.execute(s, []).unwrap();
    }
    let n: i64 = c
        .query_row(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'messages_box'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(n, 0);
}
