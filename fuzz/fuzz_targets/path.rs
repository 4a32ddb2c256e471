//! URL paths (any text) through the cleaner: what it accepts joins onto a root as plain
//! components only, so a resolved path never leaves its root.
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::path::{Component, Path};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = vhostd::serve::handlers::mapping::clean_path(text) {
        let root = Path::new("/srv/root");
        let mut joined = root.to_path_buf();
        for seg in &p.segments {
            let mut c = Path::new(seg).components();
            assert!(matches!(c.next(), Some(Component::Normal(_))) && c.next().is_none());
            joined.push(seg);
        }
        assert!(joined.starts_with(root));
        let _ = p.as_url();
    }
});
