//! The SQL side of [`super::SqliteStore`]: a log-structured schema in the manner of kine.
//!
//! `log` holds one row per change of a key: the new version, or a tombstone (`deleted = 1`)
//! that keeps the deleted version's create revision. `prev_revision` names the version the row
//! replaced (NULL for a create); it gives watch replay its `prev` values and tells compaction
//! which version a compacted row made garbage. All rows of one transaction share its revision.
//! `meta` holds the current revision (rows alone forget it once compaction drops the newest
//! tombstones), the compacted revision and how far compaction has deleted rows.
//!
//! Keys are stored as BLOBs so SQLite compares them bytewise, the order of Rust strings.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, Transaction, params};

use crate::{Error, Event, KeyValue, Result};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS log (
    revision INTEGER NOT NULL,
    key BLOB NOT NULL,
    value BLOB NOT NULL,
    create_revision INTEGER NOT NULL,
    prev_revision INTEGER,
    deleted INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS log_key_revision ON log (key, revision);
CREATE UNIQUE INDEX IF NOT EXISTS log_revision_key ON log (revision, key);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
";

/// The newest committed revision.
const META_REVISION: &str = "revision";
/// History at and below this revision is forgotten.
const META_COMPACTED: &str = "compacted";
/// Garbage rows at and below this revision are deleted (trails `compacted` while compaction runs).
const META_COMPACT_DONE: &str = "compact_done";

/// No byte of UTF-8 is 0xFF, so this sorts after every key.
pub(super) const AFTER_ALL_KEYS: &[u8] = &[0xFF];

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        Error::Database(e.to_string())
    }
}

/// The connection that owns all writes: WAL with a full fsync at every commit, so an
/// acknowledged write survives a crash or a power loss.
pub(super) fn open_writer(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(Error::Database(format!("journal mode is {mode}, not wal")));
    }
    conn.execute_batch("PRAGMA synchronous = FULL; PRAGMA busy_timeout = 10000;")?;
    conn.execute_batch(SCHEMA)?;
    Ok(conn)
}

/// A connection for reads of old revisions; WAL readers never wait for the writer.
pub(super) fn open_reader(path: &Path) -> Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.execute_batch("PRAGMA query_only = ON; PRAGMA busy_timeout = 10000;")?;
    Ok(conn)
}

/// The keys a read covers, as byte bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct KeyBounds {
    lower: Vec<u8>,
    lower_inclusive: bool,
    /// Exclusive.
    upper: Vec<u8>,
}

impl KeyBounds {
    /// Keys under `prefix`, strictly after `start_after` when that is given.
    pub(super) fn new(prefix: &str, start_after: Option<&str>) -> Self {
        let upper = prefix_end(prefix);
        match start_after {
            Some(after) if after >= prefix => KeyBounds {
                lower: after.as_bytes().to_vec(),
                lower_inclusive: false,
                upper,
            },
            _ => KeyBounds {
                lower: prefix.as_bytes().to_vec(),
                lower_inclusive: true,
                upper,
            },
        }
    }

    fn lower_operator(&self) -> &'static str {
        if self.lower_inclusive { ">=" } else { ">" }
    }
}

/// The smallest byte string greater than every key that starts with `prefix`.
fn prefix_end(prefix: &str) -> Vec<u8> {
    let mut end = prefix.as_bytes().to_vec();
    // The last byte of UTF-8 is ASCII or a continuation byte (at most 0xBF): no overflow.
    match end.last_mut() {
        Some(last) => *last += 1,
        None => end.extend_from_slice(AFTER_ALL_KEYS),
    }
    end
}

fn meta(conn: &Connection, name: &str) -> Result<i64> {
    let value = conn
        .query_row("SELECT value FROM meta WHERE name = ?1", [name], |row| {
            row.get(0)
        })
        .optional()?;
    Ok(value.unwrap_or(0))
}

fn set_meta(conn: &Connection, name: &str, value: i64) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO meta (name, value) VALUES (?1, ?2)
         ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    )?
    .execute(params![name, value])?;
    Ok(())
}

fn key_from(bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes).map_err(|_| Error::Database("stored key is not UTF-8".into()))
}

/// What a store needs from its file when it opens.
pub(super) struct Loaded {
    pub(super) live: BTreeMap<String, Arc<KeyValue>>,
    pub(super) revision: i64,
    pub(super) compacted: i64,
    pub(super) compact_done: i64,
}

pub(super) fn load(conn: &mut Connection) -> Result<Loaded> {
    let tx = conn.transaction()?;
    let newest_row: i64 =
        tx.query_row("SELECT COALESCE(MAX(revision), 0) FROM log", [], |row| {
            row.get(0)
        })?;
    let revision = meta(&tx, META_REVISION)?.max(newest_row);
    let compacted = meta(&tx, META_COMPACTED)?;
    let compact_done = meta(&tx, META_COMPACT_DONE)?;
    let live = latest_versions(&tx, &KeyBounds::new("", None), i64::MAX, 0)?
        .into_iter()
        .map(|kv| (kv.key.clone(), kv))
        .collect();
    tx.commit()?;
    Ok(Loaded {
        live,
        revision,
        compacted,
        compact_done,
    })
}

/// Fails when `revision` is compacted. Call inside the read transaction that reads history:
/// compaction records its revision before it deletes rows, so a snapshot that passes this
/// check still holds every row it needs.
fn check_not_compacted(tx: &Transaction<'_>, revision: i64) -> Result<()> {
    let compacted = meta(tx, META_COMPACTED)?;
    if revision < compacted {
        return Err(Error::Compacted {
            requested: revision,
            compacted,
        });
    }
    Ok(())
}

/// The newest version at or below `revision` of every live key within `bounds`, ordered by key;
/// `limit` 0 means all.
fn latest_versions(
    conn: &Connection,
    bounds: &KeyBounds,
    revision: i64,
    limit: usize,
) -> Result<Vec<Arc<KeyValue>>> {
    // Walks the (key, revision) index in key order, so a page stops early; a version is the
    // newest when no later one exists at or below `revision`.
    let sql = format!(
        "SELECT l.key, l.value, l.create_revision, l.revision FROM log AS l
         WHERE {}
         ORDER BY l.key
         LIMIT ?4",
        newest_live_at(bounds)
    );
    let limit = if limit == 0 {
        -1
    } else {
        i64::try_from(limit).unwrap_or(i64::MAX)
    };
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(
        params![bounds.lower, bounds.upper, revision, limit],
        |row| {
            Ok((
                row.get::<_, Vec<u8>>(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
            ))
        },
    )?;
    let mut kvs = Vec::new();
    for row in rows {
        let (key, value, create_revision, mod_revision) = row?;
        kvs.push(Arc::new(KeyValue {
            key: key_from(key)?,
            value,
            create_revision,
            mod_revision,
        }));
    }
    Ok(kvs)
}

/// Keys within `bounds` as of `revision`: up to `limit` (0 = all) and whether more follow.
/// The SQL condition on `log AS l` for the newest version at or below revision `?3` of each
/// live key in the bounds `?1`..`?2`.
fn newest_live_at(bounds: &KeyBounds) -> String {
    format!(
        "l.key {} ?1 AND l.key < ?2 AND l.revision <= ?3
           AND NOT EXISTS (SELECT 1 FROM log AS n
                           WHERE n.key = l.key AND n.revision > l.revision AND n.revision <= ?3)
           AND l.deleted = 0",
        bounds.lower_operator()
    )
}

/// How many live keys the bounds hold at `revision`.
fn count_at(conn: &Connection, bounds: &KeyBounds, revision: i64) -> Result<usize> {
    let sql = format!(
        "SELECT COUNT(*) FROM log AS l WHERE {}",
        newest_live_at(bounds)
    );
    let count: i64 = conn
        .prepare_cached(&sql)?
        .query_row(params![bounds.lower, bounds.upper, revision], |row| {
            row.get(0)
        })?;
    Ok(usize::try_from(count).unwrap_or_default())
}

pub(super) fn range_at(
    conn: &mut Connection,
    bounds: &KeyBounds,
    revision: i64,
    limit: usize,
) -> Result<(Vec<Arc<KeyValue>>, usize)> {
    let tx = conn.transaction()?;
    check_not_compacted(&tx, revision)?;
    let fetch = if limit == 0 { 0 } else { limit + 1 };
    let mut kvs = latest_versions(&tx, bounds, revision, fetch)?;
    let more = limit != 0 && kvs.len() > limit;
    let count = if more {
        kvs.truncate(limit);
        count_at(&tx, bounds, revision)?
    } else {
        kvs.len()
    };
    tx.commit()?;
    Ok((kvs, count))
}

/// One key as of `revision`.
pub(super) fn get_at(
    conn: &mut Connection,
    key: &str,
    revision: i64,
) -> Result<Option<Arc<KeyValue>>> {
    let tx = conn.transaction()?;
    check_not_compacted(&tx, revision)?;
    let newest = tx
        .prepare_cached(
            "SELECT value, create_revision, revision, deleted FROM log
             WHERE key = ?1 AND revision <= ?2 ORDER BY revision DESC LIMIT 1",
        )?
        .query_row(params![key.as_bytes(), revision], |row| {
            Ok((
                row.get::<_, Vec<u8>>(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get::<_, bool>(3)?,
            ))
        })
        .optional()?;
    tx.commit()?;
    Ok(match newest {
        Some((value, create_revision, mod_revision, false)) => Some(Arc::new(KeyValue {
            key: key.to_string(),
            value,
            create_revision,
            mod_revision,
        })),
        _ => None,
    })
}

/// Where a watch replay stands: every change up to and including (revision, key) is sent.
pub(super) type ReplayCursor = (i64, Vec<u8>);

/// The next changes after `cursor` within `bounds`, up to `until`, in (revision, key) order.
pub(super) fn events_after(
    conn: &mut Connection,
    bounds: &KeyBounds,
    cursor: &ReplayCursor,
    until: i64,
    limit: usize,
) -> Result<Vec<Event>> {
    let tx = conn.transaction()?;
    check_not_compacted(&tx, cursor.0)?;
    let sql = format!(
        "SELECT l.key, l.value, l.create_revision, l.revision, l.deleted,
                p.value, p.create_revision, p.revision
         FROM log AS l LEFT JOIN log AS p ON p.key = l.key AND p.revision = l.prev_revision
         WHERE l.revision >= ?1 AND (l.revision > ?1 OR l.key > ?2) AND l.revision <= ?3
           AND l.key {} ?4 AND l.key < ?5
         ORDER BY l.revision, l.key
         LIMIT ?6",
        bounds.lower_operator()
    );
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut events = Vec::new();
    {
        let mut stmt = tx.prepare_cached(&sql)?;
        let mut rows = stmt.query(params![
            cursor.0,
            cursor.1,
            until,
            bounds.lower,
            bounds.upper,
            limit
        ])?;
        while let Some(row) = rows.next()? {
            events.push(event_from_row(row)?);
        }
    }
    tx.commit()?;
    Ok(events)
}

fn event_from_row(row: &Row<'_>) -> Result<Event> {
    let key = key_from(row.get(0)?)?;
    let revision: i64 = row.get(3)?;
    let deleted: bool = row.get(4)?;
    let prev_revision: Option<i64> = row.get(7)?;
    let prev = match prev_revision {
        Some(mod_revision) => Some(Arc::new(KeyValue {
            key: key.clone(),
            value: row.get(5)?,
            create_revision: row.get(6)?,
            mod_revision,
        })),
        None => None,
    };
    if deleted {
        let prev = prev.ok_or_else(|| {
            Error::Database(format!(
                "tombstone of {key} at {revision} lost its last version"
            ))
        })?;
        return Ok(Event::Delete { prev, revision });
    }
    let kv = KeyValue {
        key,
        value: row.get(1)?,
        create_revision: row.get(2)?,
        mod_revision: revision,
    };
    Ok(Event::Put {
        kv: Arc::new(kv),
        prev,
    })
}

/// Appends the rows of a batch of changes and records `revision` as the newest, in one
/// transaction (one fsync).
pub(super) fn append(conn: &mut Connection, events: &[Event], revision: i64) -> Result<()> {
    let tx = conn.transaction()?;
    {
        let mut insert = tx.prepare_cached(
            "INSERT INTO log (revision, key, value, create_revision, prev_revision, deleted)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?;
        for event in events {
            match event {
                Event::Put { kv, prev } => insert.execute(params![
                    kv.mod_revision,
                    kv.key.as_bytes(),
                    kv.value,
                    kv.create_revision,
                    prev.as_ref().map(|p| p.mod_revision),
                    false
                ])?,
                Event::Delete { prev, revision } => insert.execute(params![
                    revision,
                    prev.key.as_bytes(),
                    &[] as &[u8],
                    prev.create_revision,
                    prev.mod_revision,
                    true
                ])?,
            };
        }
    }
    set_meta(&tx, META_REVISION, revision)?;
    tx.commit()?;
    Ok(())
}

/// Records that history at and below `revision` is forgotten, before any row goes.
pub(super) fn set_compacted(conn: &mut Connection, revision: i64) -> Result<()> {
    let tx = conn.transaction()?;
    set_meta(&tx, META_COMPACTED, revision)?;
    tx.commit()?;
    Ok(())
}

/// Deletes the garbage among roughly `window_rows` rows after `done`, up to `target`: the
/// versions those rows replaced, and the tombstones themselves. Returns how far it got.
pub(super) fn compact_window(
    conn: &mut Connection,
    done: i64,
    target: i64,
    window_rows: usize,
) -> Result<(i64, usize)> {
    let tx = conn.transaction()?;
    let offset = i64::try_from(window_rows.max(1) - 1).unwrap_or(i64::MAX);
    let end: i64 = tx
        .query_row(
            "SELECT revision FROM log WHERE revision > ?1 AND revision <= ?2
             ORDER BY revision LIMIT 1 OFFSET ?3",
            params![done, target, offset],
            |row| row.get(0),
        )
        .optional()?
        .unwrap_or(target);
    let replaced = tx.execute(
        "DELETE FROM log WHERE rowid IN (
             SELECT p.rowid FROM log AS l
             JOIN log AS p ON p.key = l.key AND p.revision = l.prev_revision
             WHERE l.revision > ?1 AND l.revision <= ?2)",
        params![done, end],
    )?;
    let tombstones = tx.execute(
        "DELETE FROM log WHERE revision > ?1 AND revision <= ?2 AND deleted = 1",
        params![done, end],
    )?;
    set_meta(&tx, META_COMPACT_DONE, end)?;
    tx.commit()?;
    Ok((end, replaced + tombstones))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_end_bounds_every_key_under_the_prefix() {
        assert_eq!(prefix_end("a/"), b"a0".to_vec());
        assert_eq!(prefix_end(""), AFTER_ALL_KEYS.to_vec());
        // "é" is C3 A9: the bound is C3 AA, above "é" and "é…", below "ê".
        let end = prefix_end("é");
        assert!("é".as_bytes() < end.as_slice());
        assert!("ézz".as_bytes() < end.as_slice());
        assert!("ê".as_bytes() >= end.as_slice());
    }

    #[test]
    fn key_bounds_start_after_wins_only_inside_the_prefix() {
        let inside = KeyBounds::new("p/", Some("p/b"));
        assert_eq!(
            (inside.lower.as_slice(), inside.lower_inclusive),
            (&b"p/b"[..], false)
        );
        let before = KeyBounds::new("p/", Some("a"));
        assert_eq!(
            (before.lower.as_slice(), before.lower_inclusive),
            (&b"p/"[..], true)
        );
        assert_eq!(before.upper, b"p0".to_vec());
    }
}
