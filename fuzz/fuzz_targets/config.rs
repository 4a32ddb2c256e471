//! Config text (any bytes) through the whole check: lexer, includes, model, plan,
//! certificates, the rendered diagnostics and `-S`. Never a panic, whatever the input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use vhostd::prepare::check::{CheckOptions, check};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data).into_owned();
    let mut opts = CheckOptions::new("fuzz.conf".into(), std::env::temp_dir());
    opts.text = Some(text);
    opts.build.resolve_host = Box::new(|_| Vec::new());
    let checked = check(&opts);
    let _ = checked.diags.render(&checked.sources);
    let _ = checked.dump();
});
