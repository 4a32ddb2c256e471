//! Range and If-Range headers (any bytes) against files of any length: an answer, never a
//! panic, and every part it picks lies inside the file.
#![no_main]
use hyper::header::{HeaderMap, HeaderValue};
use libfuzzer_sys::fuzz_target;
use vhostd::serve::handlers::conditional::{Ranges, Validators, ranges};

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let len = u64::from_le_bytes(data[..8].try_into().unwrap_or([0; 8])) % (1 << 40);
    let Ok(value) = HeaderValue::from_bytes(&data[8..]) else {
        return;
    };
    let mut h = HeaderMap::new();
    h.insert(hyper::header::RANGE, value);
    let v = Validators::new(len, std::time::UNIX_EPOCH);
    if let Ranges::Partial(parts) = ranges(&hyper::Method::GET, &h, len, &v) {
        for (start, end) in parts {
            assert!(start <= end && end < len, "{start}-{end} of {len}");
        }
    }
});
