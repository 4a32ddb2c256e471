//! Takes `User` and `Group` (names, or `#uid` / `#gid` as httpd writes them) and the process's
//! own identity, and says what to do before serving: nothing (not started as root), switch to
//! that account once sockets are bound, keys read and logs open (as httpd's children do), or
//! refuse to serve as root unless told to (`--allow-root`). Then does the switch.

use std::ffi::{CStr, CString};

/// What to do before serving.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Not root: serve as we are (httpd ignores User/Group then too).
    Stay,
    /// Root, told to stay root.
    StayRoot,
    Switch {
        user: String,
        uid: u32,
        gid: u32,
    },
}

/// An account as the password and group databases give it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    pub uid: u32,
    /// The user's primary group.
    pub gid: u32,
}

/// Decides, with the lookups passed in (so it is testable without a password database).
pub fn decide(
    euid: u32,
    user: Option<&str>,
    group: Option<&str>,
    allow_root: bool,
    find_user: &dyn Fn(&str) -> Option<Account>,
    find_group: &dyn Fn(&str) -> Option<u32>,
) -> Result<Decision, String> {
    if euid != 0 {
        return Ok(Decision::Stay);
    }
    let refuse = |why: &str| {
        if allow_root {
            Ok(Decision::StayRoot)
        } else {
            Err(format!(
                "refusing to serve as root: {why}. Set User and Group to an unprivileged \
                 account (httpd's stock configuration has User daemon, Debian's www-data), \
                 or start with --allow-root to serve as root anyway"
            ))
        }
    };
    let Some(user) = user else {
        return refuse("there is no User directive");
    };
    let account = match user.strip_prefix('#') {
        Some(n) => {
            let uid = n
                .parse::<u32>()
                .map_err(|_| format!("User {user}: not a user id"))?;
            Account { uid, gid: uid }
        }
        None => find_user(user).ok_or_else(|| format!("User {user}: no such user"))?,
    };
    if account.uid == 0 {
        return refuse(&format!("User {user} is root"));
    }
    let gid = match group {
        None => account.gid,
        Some(g) => match g.strip_prefix('#') {
            Some(n) => n
                .parse::<u32>()
                .map_err(|_| format!("Group {g}: not a group id"))?,
            None => find_group(g).ok_or_else(|| format!("Group {g}: no such group"))?,
        },
    };
    Ok(Decision::Switch {
        user: user.to_string(),
        uid: account.uid,
        gid,
    })
}

/// The password database's entry for `name`.
pub fn lookup_user(name: &str) -> Option<Account> {
    let c = CString::new(name).ok()?;
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let mut out: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is to memory we own, of the size given; the result is checked.
    let rc =
        unsafe { libc::getpwnam_r(c.as_ptr(), &mut pwd, buf.as_mut_ptr(), buf.len(), &mut out) };
    (rc == 0 && !out.is_null()).then_some(Account {
        uid: pwd.pw_uid,
        gid: pwd.pw_gid,
    })
}

/// The group database's id for `name`.
pub fn lookup_group(name: &str) -> Option<u32> {
    let c = CString::new(name).ok()?;
    let mut grp: libc::group = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let mut out: *mut libc::group = std::ptr::null_mut();
    // SAFETY: as in `lookup_user`.
    let rc =
        unsafe { libc::getgrnam_r(c.as_ptr(), &mut grp, buf.as_mut_ptr(), buf.len(), &mut out) };
    (rc == 0 && !out.is_null()).then_some(grp.gr_gid)
}

fn os_error(what: &str) -> String {
    format!("{what}: {}", std::io::Error::last_os_error())
}

/// Switches the whole process (every thread: glibc applies set*id to all of them) to the
/// account: its supplementary groups, the group, then the user; then checks root cannot be
/// taken back.
pub fn switch(user: &str, uid: u32, gid: u32) -> Result<(), String> {
    let name = CString::new(user).map_err(|_| format!("User {user}: a NUL in the name"))?;
    // SAFETY: plain libc calls with valid arguments; each result is checked.
    unsafe {
        if libc::initgroups(name.as_ptr() as *const libc::c_char, gid as libc::gid_t) != 0
            && libc::setgroups(1, &gid) != 0
        {
            return Err(os_error("setgroups"));
        }
        if libc::setgid(gid) != 0 {
            return Err(os_error(&format!("setgid({gid})")));
        }
        if libc::setuid(uid) != 0 {
            return Err(os_error(&format!("setuid({uid})")));
        }
        if libc::setuid(0) == 0 {
            return Err("root could be taken back after the switch".to_string());
        }
    }
    Ok(())
}

/// The name of the account a uid belongs to, for messages.
pub fn user_name(uid: u32) -> Option<String> {
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut buf = vec![0 as libc::c_char; 16 * 1024];
    let mut out: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: as in `lookup_user`.
    let rc = unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut out) };
    if rc != 0 || out.is_null() {
        return None;
    }
    // SAFETY: on success pw_name points into `buf`, NUL-terminated.
    Some(
        unsafe { CStr::from_ptr(pwd.pw_name) }
            .to_string_lossy()
            .into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn users(n: &str) -> Option<Account> {
        match n {
            "www-data" => Some(Account { uid: 33, gid: 33 }),
            "root" => Some(Account { uid: 0, gid: 0 }),
            _ => None,
        }
    }
    fn groups(n: &str) -> Option<u32> {
        (n == "nogroup").then_some(65534)
    }

    #[test]
    fn who_serves() {
        let d = |euid, u, g, allow| decide(euid, u, g, allow, &users, &groups);
        assert_eq!(d(1000, Some("www-data"), None, false), Ok(Decision::Stay));
        assert_eq!(
            d(0, Some("www-data"), None, false),
            Ok(Decision::Switch {
                user: "www-data".into(),
                uid: 33,
                gid: 33
            })
        );
        assert_eq!(
            d(0, Some("#99"), Some("nogroup"), false),
            Ok(Decision::Switch {
                user: "#99".into(),
                uid: 99,
                gid: 65534
            })
        );
        assert!(
            d(0, None, None, false)
                .unwrap_err()
                .contains("no User directive")
        );
        assert!(
            d(0, Some("root"), None, false)
                .unwrap_err()
                .contains("is root")
        );
        assert_eq!(d(0, None, None, true), Ok(Decision::StayRoot));
        assert!(
            d(0, Some("nosuch"), None, false)
                .unwrap_err()
                .contains("no such user")
        );
        assert!(
            d(0, Some("www-data"), Some("x"), false)
                .unwrap_err()
                .contains("no such group")
        );
        assert!(lookup_user("root").is_some_and(|a| a.uid == 0));
        assert_eq!(user_name(0).as_deref(), Some("root"));
    }
}
