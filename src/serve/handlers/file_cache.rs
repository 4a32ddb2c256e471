//! Takes small files that were just read beneath their root and gives them back from memory
//! on later requests, after a `stat` on the request's own task proves each is still the same
//! file (device, inode, size, mode, owner, modification and change time): a hit never leaves the
//! connection's task for the blocking pool. Bounded in bytes; least useful entries go first.
//!
//! Safe to trust because identity is checked, not just the path: a file replaced by a deploy,
//! a DocumentRoot symlink repointed, a chmod (it changes ctime), an index file added to a
//! directory (it changes the directory's mtime) each make the next request a miss, which does
//! the whole lookup beneath the root again.

use super::conditional::FileHeaders;
use super::mapping::Settings;
use super::mime::TypeHeaders;
use crate::config::model::Coding;
use arc_swap::ArcSwapOption;
use bytes::Bytes;
use std::fs::Metadata;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Files larger than this are not kept (they are streamed from disk).
pub const MAX_ENTRY: u64 = 256 * 1024;
/// What all entries may hold together.
const CAPACITY: u64 = 64 * 1024 * 1024;
/// A rough count of entries, for the cache's table sizing.
const ESTIMATED_ENTRIES: usize = 4096;

/// What identifies one version of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Identity {
    dev: u64,
    ino: u64,
    size: u64,
    /// Permissions and owner: a chmod or chown is seen even within one tick of the clock.
    mode: u32,
    owner: (u32, u32),
    mtime: (i64, i64),
    ctime: (i64, i64),
}

impl Identity {
    fn of(m: &Metadata) -> Identity {
        Identity {
            dev: m.dev(),
            ino: m.ino(),
            size: m.size(),
            mode: m.mode(),
            owner: (m.uid(), m.gid()),
            mtime: (m.mtime(), m.mtime_nsec()),
            ctime: (m.ctime(), m.ctime_nsec()),
        }
    }
}

/// A path and the identity it had when the entry was made.
#[derive(Clone, Debug)]
pub struct Stamp {
    path: PathBuf,
    identity: Identity,
}

impl Stamp {
    /// `meta` must be what the open file (or directory) at `path` said of itself.
    pub fn new(path: PathBuf, meta: &Metadata) -> Stamp {
        Stamp {
            path,
            identity: Identity::of(meta),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn holds(&self) -> bool {
        std::fs::metadata(&self.path).is_ok_and(|m| Identity::of(&m) == self.identity)
    }
}

/// A file as it was served: its bytes and what the response needs of its metadata.
#[derive(Debug)]
pub struct Entry {
    pub bytes: Bytes,
    /// Validators and their header values, made once for this version of the file.
    pub headers: FileHeaders,
    /// The file served (the index file for a directory), for its type.
    pub file: PathBuf,
    /// Its precompressed siblings, in the order `Precompressed` prefers them.
    pub variants: Vec<Variant>,
    /// The type headers last worked out for this file, and the settings they came from.
    types: ArcSwapOption<(Arc<Settings>, TypeHeaders)>,
    /// How the lookup was asked, which must match for a hit.
    follow: bool,
    trailing: bool,
    index: Option<Vec<String>>,
    codings: Vec<Coding>,
    /// Every path whose identity the answer depended on (a directory, then its index file;
    /// with `Precompressed`, the file's directory and its siblings).
    stamps: Vec<Stamp>,
}

/// A precompressed sibling kept with its file.
#[derive(Debug)]
pub struct Variant {
    pub coding: Coding,
    pub bytes: Bytes,
    pub headers: FileHeaders,
}

/// What a lookup found, for the cache to keep.
pub struct Fill<'a> {
    /// The file served (the index file for a directory).
    pub file: &'a Path,
    pub bytes: &'a Bytes,
    pub headers: &'a FileHeaders,
    pub variants: Vec<Variant>,
    pub stamps: Vec<Stamp>,
}

/// How a request asks for a path: the same answer holds only for the same question.
#[derive(Clone, Copy)]
pub struct Ask<'a> {
    pub follow: bool,
    pub trailing: bool,
    pub index: Option<&'a [String]>,
    /// `Precompressed`'s codings where the path is.
    pub codings: &'a [Coding],
}

impl Entry {
    /// The type headers for this file where `settings` are in force: the last ones again
    /// when the settings are the same (they are shared per set of sections), else `make`'s.
    pub fn types(
        &self,
        settings: &Arc<Settings>,
        make: impl FnOnce() -> TypeHeaders,
    ) -> TypeHeaders {
        if let Some(memo) = self.types.load().as_ref()
            && Arc::ptr_eq(&memo.0, settings)
        {
            return memo.1.clone();
        }
        let t = make();
        self.types
            .store(Some(Arc::new((settings.clone(), t.clone()))));
        t
    }

    fn answers(&self, ask: &Ask<'_>) -> bool {
        self.follow == ask.follow
            && self.trailing == ask.trailing
            && self.index.as_deref() == ask.index
            && self.codings == ask.codings
    }
}

#[derive(Clone)]
struct Weight;

impl quick_cache::Weighter<PathBuf, Arc<Entry>> for Weight {
    fn weight(&self, key: &PathBuf, e: &Arc<Entry>) -> u64 {
        let paths: usize = e.stamps.iter().map(|s| s.path.as_os_str().len()).sum();
        let variants: usize = e.variants.iter().map(|v| v.bytes.len() + 128).sum();
        (e.bytes.len() + variants + key.as_os_str().len() + paths + 256) as u64
    }
}

/// Small files by the path a request mapped to.
pub struct FileCache {
    entries: quick_cache::sync::Cache<PathBuf, Arc<Entry>, Weight>,
}

impl std::fmt::Debug for FileCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileCache")
            .field("entries", &self.entries.len())
            .field("bytes", &self.entries.weight())
            .finish()
    }
}

impl Default for FileCache {
    fn default() -> Self {
        FileCache::with_capacity(CAPACITY)
    }
}

impl FileCache {
    pub fn with_capacity(bytes: u64) -> FileCache {
        FileCache {
            entries: quick_cache::sync::Cache::with_weighter(ESTIMATED_ENTRIES, bytes, Weight),
        }
    }

    /// The entry for `path` if it answers `ask` and every file it depended on is unchanged;
    /// a stale entry is dropped.
    pub fn get(&self, path: &Path, ask: &Ask<'_>) -> Option<Arc<Entry>> {
        let e = self.entries.get(path)?;
        if !e.answers(ask) {
            return None;
        }
        if e.stamps.iter().all(Stamp::holds) {
            Some(e)
        } else {
            self.entries.remove(path);
            None
        }
    }

    /// Keeps what a lookup beneath the root found for `path` (files over `MAX_ENTRY` are not kept).
    pub fn put(&self, path: &Path, ask: &Ask<'_>, fill: Fill<'_>) {
        let too_big = |b: &Bytes| b.len() as u64 > MAX_ENTRY;
        if too_big(fill.bytes) || fill.variants.iter().any(|v| too_big(&v.bytes)) {
            return;
        }
        if fill.stamps.is_empty() {
            return;
        }
        let entry = Entry {
            bytes: fill.bytes.clone(),
            headers: fill.headers.clone(),
            file: fill.file.to_path_buf(),
            variants: fill.variants,
            types: ArcSwapOption::empty(),
            follow: ask.follow,
            trailing: ask.trailing,
            index: ask.index.map(<[String]>::to_vec),
            codings: ask.codings.to_vec(),
            stamps: fill.stamps,
        };
        self.entries.insert(path.to_path_buf(), Arc::new(entry));
    }

    /// How many entries are held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: Ask<'static> = Ask {
        follow: false,
        trailing: false,
        index: None,
        codings: &[],
    };

    fn put_file(c: &FileCache, p: &Path) {
        let bytes = Bytes::from(std::fs::read(p).expect("read"));
        let m = std::fs::metadata(p).expect("stat");
        let stamps = vec![Stamp::new(p.to_path_buf(), &m)];
        let headers = FileHeaders::new(m.len(), m.modified().expect("mtime"));
        let fill = Fill {
            file: p,
            bytes: &bytes,
            headers: &headers,
            variants: Vec::new(),
            stamps,
        };
        c.put(p, &PLAIN, fill);
    }

    #[test]
    fn a_hit_needs_the_same_file_and_the_same_question() {
        let d = tempfile::tempdir().expect("tmp");
        let p = d.path().join("a.html");
        std::fs::write(&p, "one").expect("write");
        let c = FileCache::default();
        put_file(&c, &p);
        assert_eq!(c.get(&p, &PLAIN).expect("hit").bytes, "one");
        let follow = Ask {
            follow: true,
            ..PLAIN
        };
        assert!(c.get(&p, &follow).is_none(), "another question is a miss");
        // A deploy's rename puts another inode at the path: a miss, and the entry is gone.
        let tmp = d.path().join("a.new");
        std::fs::write(&tmp, "two").expect("write");
        std::fs::rename(&tmp, &p).expect("rename");
        assert!(c.get(&p, &PLAIN).is_none());
        assert!(c.is_empty());
    }

    #[test]
    fn a_chmod_or_removal_is_a_miss() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().expect("tmp");
        let p = d.path().join("a.html");
        std::fs::write(&p, "one").expect("write");
        let c = FileCache::default();
        put_file(&c, &p);
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        assert!(c.get(&p, &PLAIN).is_none(), "the mode changed");
        put_file(&c, &p);
        std::fs::remove_file(&p).expect("rm");
        assert!(c.get(&p, &PLAIN).is_none());
    }

    #[test]
    fn large_files_are_not_kept_and_the_total_is_bounded() {
        let d = tempfile::tempdir().expect("tmp");
        let c = FileCache::with_capacity(64 * 1024);
        let big = d.path().join("big");
        std::fs::write(&big, vec![b'x'; MAX_ENTRY as usize + 1]).expect("write");
        put_file(&c, &big);
        assert!(c.is_empty());
        for i in 0..40 {
            let p = d.path().join(format!("f{i}"));
            std::fs::write(&p, vec![b'y'; 4096]).expect("write");
            put_file(&c, &p);
        }
        assert!(c.entries.weight() <= 64 * 1024, "{:?}", c);
        assert!(c.len() < 40);
    }
}
