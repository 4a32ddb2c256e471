//! Takes a root directory and a path of plain components under it and gives the open file,
//! resolved beneath a handle on the root taken now: a DocumentRoot symlink repointed by a
//! deploy is followed at once, and without `FollowSymLinks` nothing (a symlink, a rename
//! racing the request) can reach outside the root, as `openat2(RESOLVE_BENEATH)` promises.
//! Kernels without openat2 fall back to resolving the real path and comparing it.

use std::ffi::CString;
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path};

/// A handle on a root directory.
pub struct RootDir {
    fd: OwnedFd,
    path: std::path::PathBuf,
}

fn c_path(p: &Path) -> io::Result<CString> {
    CString::new(p.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL in a path"))
}

/// The errors a walk beneath the root gives for a path that would leave it.
fn escapes() -> io::Error {
    io::Error::new(
        io::ErrorKind::PermissionDenied,
        "the path leaves its root through a symbolic link",
    )
}

impl RootDir {
    /// Opens the root as it is now (following its own symlinks).
    pub fn open(path: &Path) -> io::Result<RootDir> {
        let c = c_path(path)?;
        // SAFETY: `c` is a valid NUL-terminated path; the result is checked before use.
        let fd = unsafe {
            libc::open(
                c.as_ptr(),
                libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(RootDir {
            // SAFETY: `fd` is a descriptor we just opened and own.
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
            path: path.to_path_buf(),
        })
    }

    /// Opens `rel` (plain components only) for reading, never blocking on a FIFO or device.
    /// With `follow`, symlinks are followed wherever they lead (httpd's `FollowSymLinks`);
    /// without, a path that a symlink takes out of the root is refused (PermissionDenied).
    pub fn open_file(&self, rel: &Path, follow: bool) -> io::Result<File> {
        if rel.components().any(|c| !matches!(c, Component::Normal(_))) {
            return Err(escapes());
        }
        let rel_c = if rel.as_os_str().is_empty() {
            CString::new(".").map_err(|_| escapes())?
        } else {
            c_path(rel)?
        };
        let flags = libc::O_RDONLY | libc::O_CLOEXEC | libc::O_NONBLOCK | libc::O_NOCTTY;
        let fd = if follow {
            // SAFETY: valid descriptor and NUL-terminated path; the result is checked.
            unsafe { libc::openat(self.fd.as_raw_fd(), rel_c.as_ptr(), flags) }
        } else {
            match self.openat2_beneath(&rel_c, flags) {
                Err(e) if e.raw_os_error() == Some(libc::ENOSYS) => {
                    return self.open_checked(rel);
                }
                // An absolute symlink, or one that climbs: allowed if where it leads is still
                // inside; that real path is opened beneath the real root, so a link swapped
                // in meanwhile is refused again.
                Err(e) if e.raw_os_error() == Some(libc::EXDEV) => {
                    return self.open_resolved(rel, flags);
                }
                Err(e) => return Err(e),
                Ok(fd) => fd,
            }
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `fd` is a descriptor we just opened and own.
        Ok(File::from(unsafe { OwnedFd::from_raw_fd(fd) }))
    }

    fn openat2_beneath(&self, rel: &CString, flags: i32) -> io::Result<i32> {
        // SAFETY: open_how is plain integers; all-zero is its "nothing asked" value.
        let mut how: libc::open_how = unsafe { std::mem::zeroed() };
        how.flags = flags as u64;
        how.resolve = libc::RESOLVE_BENEATH | libc::RESOLVE_NO_MAGICLINKS;
        // SAFETY: openat2 reads `how` (of the size given) and the NUL-terminated path.
        let fd = unsafe {
            libc::syscall(
                libc::SYS_openat2,
                self.fd.as_raw_fd(),
                rel.as_ptr(),
                &how as *const libc::open_how,
                std::mem::size_of::<libc::open_how>(),
            )
        };
        if fd < 0 {
            return Err(io::Error::last_os_error());
        }
        i32::try_from(fd).map_err(|_| io::Error::other("descriptor out of range"))
    }

    fn open_resolved(&self, rel: &Path, flags: i32) -> io::Result<File> {
        let root = std::fs::canonicalize(&self.path)?;
        let real = std::fs::canonicalize(self.path.join(rel))?;
        let inner = real.strip_prefix(&root).map_err(|_| escapes())?;
        let real_root = RootDir::open(&root)?;
        let rel_c = if inner.as_os_str().is_empty() {
            CString::new(".").map_err(|_| escapes())?
        } else {
            c_path(inner)?
        };
        match real_root.openat2_beneath(&rel_c, flags) {
            // SAFETY: `fd` is a descriptor we just opened and own.
            Ok(fd) => Ok(File::from(unsafe { OwnedFd::from_raw_fd(fd) })),
            Err(e) if e.raw_os_error() == Some(libc::EXDEV) => Err(escapes()),
            Err(e) => Err(e),
        }
    }

    /// Without openat2: the real path must lie under the root's real path, then it is opened.
    fn open_checked(&self, rel: &Path) -> io::Result<File> {
        let root = std::fs::canonicalize(&self.path)?;
        let real = std::fs::canonicalize(self.path.join(rel))?;
        if !real.starts_with(&root) {
            return Err(escapes());
        }
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(real)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_out_of_the_root_only_with_follow() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("sub/in.txt"), "in").unwrap();
        std::fs::write(dir.path().join("secret"), "out").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), root.join("out")).unwrap();
        std::os::unix::fs::symlink("sub/in.txt", root.join("inner")).unwrap();
        std::os::unix::fs::symlink(root.join("sub/in.txt"), root.join("absolute")).unwrap();
        std::os::unix::fs::symlink("../root/sub/in.txt", root.join("climbs")).unwrap();
        let r = RootDir::open(&root).unwrap();
        let read = |rel: &str, follow: bool| {
            r.open_file(Path::new(rel), follow)
                .map(|mut f| {
                    let mut s = String::new();
                    std::io::Read::read_to_string(&mut f, &mut s).unwrap();
                    s
                })
                .map_err(|e| e.kind())
        };
        assert_eq!(read("sub/in.txt", false), Ok("in".into()));
        assert_eq!(read("inner", false), Ok("in".into()));
        assert_eq!(
            read("absolute", false),
            Ok("in".into()),
            "absolute, but inside"
        );
        assert_eq!(
            read("climbs", false),
            Ok("in".into()),
            "climbs, but lands inside"
        );
        assert_eq!(read("out", false), Err(io::ErrorKind::PermissionDenied));
        assert_eq!(read("out", true), Ok("out".into()));
        assert_eq!(
            read("../secret", true),
            Err(io::ErrorKind::PermissionDenied)
        );
        assert_eq!(read("missing", false), Err(io::ErrorKind::NotFound));
        assert!(
            r.open_file(Path::new(""), false)
                .unwrap()
                .metadata()
                .unwrap()
                .is_dir()
        );
    }

    #[test]
    fn a_repointed_root_is_seen_at_once() {
        let dir = tempfile::tempdir().unwrap();
        for n in ["1", "2"] {
            std::fs::create_dir_all(dir.path().join(n)).unwrap();
            std::fs::write(dir.path().join(n).join("v"), n).unwrap();
        }
        let current = dir.path().join("current");
        std::os::unix::fs::symlink("1", &current).unwrap();
        let v = || {
            let mut s = String::new();
            let mut f = RootDir::open(&current)
                .unwrap()
                .open_file(Path::new("v"), false)
                .unwrap();
            std::io::Read::read_to_string(&mut f, &mut s).unwrap();
            s
        };
        assert_eq!(v(), "1");
        std::os::unix::fs::symlink("2", dir.path().join("next")).unwrap();
        std::fs::rename(dir.path().join("next"), &current).unwrap();
        assert_eq!(v(), "2");
    }
}
