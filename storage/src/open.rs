//! Opening a replica: create, migrate, or recover from a damaged file.

use std::path::{Path, PathBuf};

use promptdeck_protocol::wire::Cookie;
use redb::{Database, DatabaseError, ReadableDatabase, StorageError};

use crate::meta::{self, CURRENT_SCHEMA_VERSION, SyncState};
use crate::{PendingMutation, Replica, StoreError, pending, view};

/// What opening the replica had to do beyond opening it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OpenReport {
    /// Set when the file was unreadable and a fresh replica replaced it.
    pub moved_aside: Option<MovedAside>,
}

/// A damaged file that was set aside rather than deleted, so nothing is destroyed.
#[derive(Debug, Clone, PartialEq)]
pub struct MovedAside {
    pub to: PathBuf,
    pub reason: String,
    /// Pending mutations read from the damaged file and carried into the new one.
    pub kept_pending: usize,
}

pub(crate) fn open(path: &Path) -> Result<(Replica, OpenReport), StoreError> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|source| StoreError::Io { path: dir.to_owned(), source })?;
    }
    let OpenFailure { error, salvage } = match try_open(path) {
        Ok(replica) => return Ok((replica, OpenReport::default())),
        Err(failure) => failure,
    };
    if !error.is_damage() {
        return Err(error);
    }
    let to = move_aside(path)?;
    tracing::error!(
        path = %path.display(), moved_to = %to.display(), reason = %error,
        kept_pending = salvage.as_ref().map_or(0, |s| s.pending.len()),
        "the library file was unreadable; it was moved aside and a fresh one created \
         (prompts come back from the server on the next sync)"
    );
    let replica = create_fresh(path, salvage.as_deref())?;
    let kept_pending = salvage.map_or(0, |s| s.pending.len());
    let moved_aside = Some(MovedAside { to, reason: error.to_string(), kept_pending });
    Ok((replica, OpenReport { moved_aside }))
}

/// Sync state and pending mutations read out of a file that is otherwise damaged.
struct Salvage {
    sync: SyncState,
    pending: Vec<PendingMutation>,
}

/// Why a file did not open, and what could still be read from it.
struct OpenFailure {
    error: StoreError,
    salvage: Option<Box<Salvage>>,
}

fn try_open(path: &Path) -> Result<Replica, OpenFailure> {
    let db = create_database(path)
        .map_err(|e| OpenFailure { error: classify(path, e), salvage: None })?;
    match prepare(&db, path) {
        Ok(()) => Ok(Replica::from_open(db, path)),
        Err(error) if error.is_damage() => {
            Err(OpenFailure { error, salvage: salvage(&db).ok().map(Box::new) })
        }
        Err(error) => Err(OpenFailure { error, salvage: None }),
    }
}

/// redb's page cache. Its default (1 GiB) keeps every page the start-up scan reads, so
/// memory grew with the library; the cache actor already holds what reads need. 1 MiB
/// rather than 4 took 4.6 MB off the idle app at 10k prompts with no measured change in
/// cold start (`cargo bench --bench memory`, `--bench runtime`, 2026-12-05).
const PAGE_CACHE_BYTES: usize = 1024 * 1024;

pub(crate) fn create_database(path: &Path) -> Result<Database, DatabaseError> {
    Database::builder().set_cache_size(PAGE_CACHE_BYTES).create(path)
}

pub(crate) fn classify(path: &Path, error: DatabaseError) -> StoreError {
    match error {
        DatabaseError::DatabaseAlreadyOpen => StoreError::InUse(path.to_owned()),
        // redb reports a foreign or truncated file as invalid data: that is damage.
        DatabaseError::Storage(StorageError::Io(source))
            if !matches!(
                source.kind(),
                std::io::ErrorKind::InvalidData | std::io::ErrorKind::UnexpectedEof
            ) =>
        {
            StoreError::Io { path: path.to_owned(), source }
        }
        other => StoreError::Corrupt(other.to_string()),
    }
}

/// Brings the file to the current schema and checks that what every start needs reads.
/// The pending mutations are not read here: only a sync needs them, and a library never
/// synced holds one for every edit (at 10k prompts, reading them all took a third of the
/// start). One that does not read stops the sync with the damage named, and leaves the
/// library as it is, where failing here would move the whole file aside.
fn prepare(db: &Database, path: &Path) -> Result<(), StoreError> {
    let version = meta::schema_version(&db.begin_read()?)?;
    match version {
        None => initialize(db, &SyncState::fresh())?,
        Some(found) if found > CURRENT_SCHEMA_VERSION => {
            return Err(StoreError::NewerSchema {
                path: path.to_owned(),
                found,
                supported: CURRENT_SCHEMA_VERSION,
            });
        }
        Some(found) => migrate(db, found)?,
    }
    let txn = db.begin_read()?;
    meta::read_sync_state(&txn)?;
    txn.open_table(pending::TABLE)?;
    txn.open_table(view::TABLE)?;
    Ok(())
}

fn initialize(db: &Database, sync: &SyncState) -> Result<(), StoreError> {
    let txn = db.begin_write()?;
    meta::write_schema_version(&txn, CURRENT_SCHEMA_VERSION)?;
    meta::write_sync_state(&txn, sync)?;
    txn.open_table(pending::TABLE)?;
    txn.open_table(view::TABLE)?;
    txn.open_table(crate::base::TABLE)?;
    txn.commit()?;
    Ok(())
}

/// Brings a file written by an older build to the current schema, each step in its own
/// transaction. 1 to 2 changes no data (a full value in the view is still read as one); it
/// only records that older builds must now refuse the file.
fn migrate(db: &Database, from: u32) -> Result<(), StoreError> {
    debug_assert!(from <= CURRENT_SCHEMA_VERSION);
    if from < 2 {
        let txn = db.begin_write()?;
        meta::write_schema_version(&txn, 2)?;
        txn.commit()?;
    }
    Ok(())
}

fn salvage(db: &Database) -> Result<Salvage, StoreError> {
    let txn = db.begin_read()?;
    Ok(Salvage { sync: meta::read_sync_state(&txn)?, pending: pending::all(&txn)? })
}

fn move_aside(path: &Path) -> Result<PathBuf, StoreError> {
    let stamp = promptdeck_protocol::now_millis();
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".damaged-{stamp}"));
    let to = path.with_file_name(name);
    std::fs::rename(path, &to)
        .map_err(|source| StoreError::Io { path: path.to_owned(), source })?;
    Ok(to)
}

/// A new replica. With a salvage, it keeps the client ids and pending mutations (replayed
/// onto an empty view) and forgets the cookie, so the next pull brings the base back.
fn create_fresh(path: &Path, salvage: Option<&Salvage>) -> Result<Replica, StoreError> {
    let db = create_database(path).map_err(|e| classify(path, e))?;
    let Some(Salvage { sync, pending: kept }) = salvage else {
        initialize(&db, &SyncState::fresh())?;
        return Ok(Replica::from_open(db, path));
    };
    initialize(&db, &SyncState { cookie: Cookie::null(), ..sync.clone() })?;
    let txn = db.begin_write()?;
    {
        let mut view = view::TableKv::open(&txn)?;
        for pending in kept {
            // A mutation that no longer applies still goes to the server, which decides.
            let _ = pending.mutation.apply(&mut view);
        }
    }
    for pending in kept {
        pending::append(&txn, pending)?;
    }
    txn.commit()?;
    Ok(Replica::from_open(db, path))
}
