//! Host headers and authorities (any text) through the normaliser: a result, never a panic;
//! an accepted name is lower-case, without a trailing dot, and free of separators.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(Some(h)) = vhostd::serve::router::normalize_host(text) {
        assert!(!h.name.is_empty());
        assert!(!h.name.contains(['/', '\\']) && !h.name.contains(".."));
        assert_eq!(h.name, h.name.to_ascii_lowercase());
        let _ = vhostd::serve::router::url_host(&h.name);
    }
});
